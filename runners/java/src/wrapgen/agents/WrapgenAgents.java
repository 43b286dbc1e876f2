// wrapgen's Java agent runner. The wrapper attaches this one agent (-javaagent: before the main class,
// or in JAVA_TOOL_OPTIONS); it starts the configured agents listed in agents.txt beside its jar, in
// order, each isolated (a failing agent prints one stderr line and the JVM still starts, unless it is
// critical) and timed. Started directly with -javaagent, a throwing premain would abort the JVM.
//
// Compiled for Java 8 (the oldest Lambda JVM) by runners/java/build.sh into WrapgenAgents.class, which
// wrapgen packs into the layer's jar at build time, so building a layer needs no JDK.
package wrapgen.agents;

import java.io.File;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

public final class WrapgenAgents {
  /** Applied once per JVM, even when the runner is attached twice (argv and JAVA_TOOL_OPTIONS). */
  private static boolean started;

  private WrapgenAgents() {}

  public static void premain(String args, Instrumentation inst) {
    synchronized (WrapgenAgents.class) {
      if (started) return;
      started = true;
    }
    // Cold-start cost (docs/hooks.md): every class loaded here that -javaagent: of the agent itself would
    // not load costs the JVM start. So no java.net.URI (the jar's URL is decoded only when it holds an
    // escape), no java.nio.charset.StandardCharsets (its initialiser loads five more charsets), no
    // String.split with a limit (ArrayList.subList), no number formatting unless WRAPGEN_TIMING=1
    // (FloatingDecimal: eight classes), and the list is read whole with a FileInputStream: java.io
    // readers and java.nio.file's channels are not in the JVM's default class-data archive.
    File list;
    try {
      java.net.URL url = WrapgenAgents.class.getProtectionDomain().getCodeSource().getLocation();
      String path = url.getPath();
      File jar = path.indexOf('%') >= 0 ? new File(url.toURI()) : new File(path);
      list = new File(jar.getParentFile(), "agents.txt");
    } catch (Exception e) {
      System.err.println("wrapgen: cannot find the agent list beside the runner jar (" + e + "); no agents started");
      return;
    }
    String text;
    try (java.io.FileInputStream in = new java.io.FileInputStream(list)) {
      byte[] bytes = new byte[(int) list.length()];
      int n = 0;
      for (int r; n < bytes.length && (r = in.read(bytes, n, bytes.length - n)) > 0; ) n += r;
      text = new String(bytes, 0, n, "UTF-8");
    } catch (Exception e) {
      System.err.println("wrapgen: cannot read " + list + " (" + e.getMessage() + "); no agents started");
      return;
    }
    boolean timed = "1".equals(System.getenv("WRAPGEN_TIMING"));
    StringBuilder timings = timed ? new StringBuilder() : null;
    for (int at = 0, end; at < text.length(); at = end + 1) {
      end = text.indexOf('\n', at);
      if (end < 0) end = text.length();
      String line = text.substring(at, end);
      if (line.isEmpty() || line.charAt(0) == '#') continue;
      String[] f = fields(line);
      if (f == null) continue;
      boolean critical = "critical".equals(f[0]);
      File agentJar = new File(list.getParentFile(), f[1]);
      String name = f[2];
      String options = f[3];
      long t0 = System.nanoTime();
      boolean ok = true;
      try {
        start(agentJar, options.isEmpty() ? null : options, inst);
      } catch (Throwable t) {
        ok = false;
        failed(name, t, critical);
      }
      if (timed) {
        long us = (System.nanoTime() - t0 + 500) / 1000;
        String frac = String.valueOf(1000 + us % 1000).substring(1);
        timings.append(timings.length() == 0 ? "" : ",").append("{\"name\":").append(json(name)).append(",\"ms\":").append(us / 1000).append('.').append(frac).append(",\"ok\":").append(ok).append('}');
      }
    }
    if (timed) System.err.println("{\"wrapgen\":\"hooks\",\"runtime\":\"java\",\"hooks\":[" + timings + "]}");
  }

  /** A line's first four tab-separated fields (critical, file, name, options), or null when it has fewer. */
  private static String[] fields(String line) {
    String[] f = new String[4];
    int at = 0;
    for (int i = 0; i < 4; i++) {
      int tab = line.indexOf('\t', at);
      if (i < 3 && tab < 0) return null;
      f[i] = line.substring(at, tab < 0 || i == 3 ? line.length() : tab);
      at = tab + 1;
    }
    return f;
  }

  /** One stderr line; a critical agent ends the JVM. Kept apart: only a failure loads what it needs. */
  private static void failed(String name, Throwable t, boolean critical) {
    Throwable cause = t instanceof InvocationTargetException && t.getCause() != null ? t.getCause() : t;
    String message = String.valueOf(cause.getMessage()).split("\n", 2)[0];
    System.err.println("wrapgen: agent " + name + " failed: " + cause.getClass().getName() + ("null".equals(message) ? "" : ": " + message) + (critical ? " (critical: stopping start-up)" : "; skipped"));
    if (critical) {
      System.err.flush();
      System.exit(1);
    }
  }

  /** What the JVM does for -javaagent:jar=options: the jar joins the system class path, then premain runs. */
  private static void start(File jar, String options, Instrumentation inst) throws Exception {
    if (!jar.isFile()) throw new java.io.FileNotFoundException(jar + " is missing from the layer");
    String premainClass;
    String bootPath;
    try (JarFile jf = new JarFile(jar)) {
      Manifest m = jf.getManifest();
      Attributes a = m == null ? null : m.getMainAttributes();
      premainClass = a == null ? null : a.getValue("Premain-Class");
      bootPath = a == null ? null : a.getValue("Boot-Class-Path");
    }
    if (premainClass == null) throw new IllegalArgumentException(jar.getName() + " has no Premain-Class in its manifest: not a Java agent");
    if (bootPath != null) {
      for (String p : bootPath.trim().split("\\s+")) {
        File b = new File(p).isAbsolute() ? new File(p) : new File(jar.getParentFile(), p);
        if (b.isFile()) inst.appendToBootstrapClassLoaderSearch(new JarFile(b));
      }
    }
    inst.appendToSystemClassLoaderSearch(new JarFile(jar));
    Class<?> c = Class.forName(premainClass, true, ClassLoader.getSystemClassLoader());
    Method withInst = find(c, String.class, Instrumentation.class);
    if (withInst != null) {
      withInst.invoke(null, options, inst);
      return;
    }
    Method plain = find(c, String.class);
    if (plain == null) throw new NoSuchMethodException(premainClass + ".premain(String[, Instrumentation]) is not a public static method");
    plain.invoke(null, options);
  }

  private static Method find(Class<?> c, Class<?>... params) {
    try {
      Method m = c.getMethod("premain", params);
      return Modifier.isStatic(m.getModifiers()) ? m : null;
    } catch (NoSuchMethodException e) {
      return null;
    }
  }

  private static String json(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      if (ch == '"' || ch == '\\') b.append('\\').append(ch);
      else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
      else b.append(ch);
    }
    return b.append('"').toString();
  }
}
