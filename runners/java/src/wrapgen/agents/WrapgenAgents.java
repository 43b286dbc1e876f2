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
import java.nio.charset.StandardCharsets;
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
    File list;
    try {
      File jar = new File(WrapgenAgents.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      list = new File(jar.getParentFile(), "agents.txt");
    } catch (Exception e) {
      System.err.println("wrapgen: cannot find the agent list beside the runner jar (" + e + "); no agents started");
      return;
    }
    StringBuilder timings = new StringBuilder();
    // Read whole with a FileInputStream: java.io readers and java.nio.file's channels are not in the JVM's
    // default class-data archive, so each of their classes would be loaded and verified on every cold start.
    String[] lines;
    try (java.io.FileInputStream in = new java.io.FileInputStream(list)) {
      byte[] bytes = new byte[(int) list.length()];
      int n = 0;
      for (int r; n < bytes.length && (r = in.read(bytes, n, bytes.length - n)) > 0; ) n += r;
      lines = new String(bytes, 0, n, StandardCharsets.UTF_8).split("\n");
    } catch (java.io.IOException e) {
      System.err.println("wrapgen: cannot read " + list + " (" + e.getMessage() + "); no agents started");
      return;
    }
    {
      for (String line : lines) {
        if (line.isEmpty() || line.startsWith("#")) continue;
        String[] f = line.split("\t", -1);
        if (f.length < 4) continue;
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
          Throwable cause = t instanceof InvocationTargetException && t.getCause() != null ? t.getCause() : t;
          String message = String.valueOf(cause.getMessage()).split("\n", 2)[0];
          System.err.println("wrapgen: agent " + name + " failed: " + cause.getClass().getName() + ("null".equals(message) ? "" : ": " + message) + (critical ? " (critical: stopping start-up)" : "; skipped"));
          if (critical) {
            System.err.flush();
            System.exit(1);
          }
        }
        double ms = Math.round((System.nanoTime() - t0) / 1e3) / 1e3;
        timings.append(timings.length() == 0 ? "" : ",").append("{\"name\":").append(json(name)).append(",\"ms\":").append(ms).append(",\"ok\":").append(ok).append('}');
      }
    }
    if ("1".equals(System.getenv("WRAPGEN_TIMING"))) System.err.println("{\"wrapgen\":\"hooks\",\"runtime\":\"java\",\"hooks\":[" + timings + "]}");
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
