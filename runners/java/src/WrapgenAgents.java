// wrapgen's Java agent runner. The wrapper attaches this one agent (-javaagent: before the main class,
// or in JAVA_TOOL_OPTIONS); it starts the configured agents listed in agents.txt beside its jar, in
// order, each isolated (a failing agent prints one stderr line and the JVM still starts, unless it is
// critical) and timed. Started directly with -javaagent, a throwing premain would abort the JVM.
//
// Compiled for Java 8 (the oldest Lambda JVM) by runners/java/build.sh into WrapgenAgents.class, which
// wrapgen packs into the layer's jar at build time, so building a layer needs no JDK.
//
// In no package: the JVM reads a jar's manifest when it defines a class of a named package from it
// (java.lang.Package and its version info, the manifest classes, the jar verifier: eight classes that
// -javaagent: of an agent in no package never loads).
import java.io.File;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

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
    try {
      text = readAll(new java.io.FileInputStream(list), (int) list.length());
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
    // Made by name: a `new FileNotFoundException` here would make the JVM load it and IOException (two
    // classes outside its class-data archive) when it verifies this class, on every start.
    if (!jar.isFile()) throw (Exception) Class.forName("java.io.FileNotFoundException").getConstructor(String.class).newInstance(jar + " is missing from the layer");
    // The manifest is read as a plain entry and parsed here: JarFile.getManifest loads java.util.jar's
    // manifest, attribute and verifier classes, which -javaagent: (parsing it natively) does not. The
    // jar stays open: the class path takes it (closing it would load more classes).
    JarFile jf = new JarFile(jar, false);
    ZipEntry entry = jf.getEntry("META-INF/MANIFEST.MF");
    String manifest = entry == null ? "" : readAll(jf.getInputStream(entry), (int) entry.getSize());
    String premainClass = attribute(manifest, "Premain-Class");
    String bootPath = attribute(manifest, "Boot-Class-Path");
    if (premainClass == null) throw new IllegalArgumentException(jar.getName() + " has no Premain-Class in its manifest: not a Java agent");
    if (bootPath != null) {
      for (String p : bootPath.trim().split("\\s+")) {
        File b = new File(p).isAbsolute() ? new File(p) : new File(jar.getParentFile(), p);
        if (b.isFile()) inst.appendToBootstrapClassLoaderSearch(new JarFile(b));
      }
    }
    inst.appendToSystemClassLoaderSearch(jf);
    Class<?> c = Class.forName(premainClass, true, ClassLoader.getSystemClassLoader());
    // The JVM's order: premain(String, Instrumentation) then premain(String) declared by the class
    // itself, then the same inherited (Class.getMethod walks Object's methods, loading
    // InterruptedException for wait(): only when the class declares neither).
    Method withInst = find(c, true, String.class, Instrumentation.class);
    Method plain = withInst == null ? find(c, true, String.class) : null;
    if (withInst == null && plain == null) {
      withInst = find(c, false, String.class, Instrumentation.class);
      if (withInst == null) plain = find(c, false, String.class);
    }
    if (withInst != null) {
      withInst.invoke(null, options, inst);
      return;
    }
    if (plain == null) throw new NoSuchMethodException(premainClass + ".premain(String[, Instrumentation]) is not a public static method");
    plain.invoke(null, options);
  }

  /** A stream's bytes as UTF-8 text (`size`: its length when known, else negative), closing it. */
  private static String readAll(InputStream in, int size) throws Exception {
    try (InputStream s = in) {
      byte[] bytes = new byte[size >= 0 ? size : 8192];
      int n = 0;
      for (int r; (r = s.read(bytes, n, bytes.length - n)) > 0; ) {
        n += r;
        if (n == bytes.length) bytes = java.util.Arrays.copyOf(bytes, n * 2);
      }
      return new String(bytes, 0, n, "UTF-8");
    }
  }

  /**
   * A main-section attribute of a manifest, as java.util.jar.Manifest reads it: names are
   * case-insensitive, a line starting with a space continues the one before, the main section ends
   * at the first empty line; the value trimmed (the JVM trims Premain-Class too), null when absent.
   */
  static String attribute(String manifest, String name) {
    String text = manifest.replace("\r\n", "\n").replace('\r', '\n');
    String found = null;
    for (int at = 0, end; at < text.length() && found == null; at = end + 1) {
      end = text.indexOf('\n', at);
      if (end < 0) end = text.length();
      if (end == at) break;
      if (text.regionMatches(true, at, name, 0, name.length()) && end > at + name.length() && text.charAt(at + name.length()) == ':') {
        StringBuilder v = new StringBuilder(text.substring(at + name.length() + 1, end));
        while (end + 1 < text.length() && text.charAt(end + 1) == ' ') {
          int next = text.indexOf('\n', end + 1);
          if (next < 0) next = text.length();
          v.append(text, end + 2, next);
          end = next;
        }
        found = v.toString().trim();
      }
    }
    return found;
  }

  /** The public static premain with these parameters, declared by the class itself or inherited; or null. */
  private static Method find(Class<?> c, boolean declared, Class<?>... params) {
    try {
      Method m = declared ? c.getDeclaredMethod("premain", params) : c.getMethod("premain", params);
      return Modifier.isStatic(m.getModifiers()) && Modifier.isPublic(m.getModifiers()) ? m : null;
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
