// wrapgen's Java agent runner. The wrapper attaches this one agent (-javaagent: before the main class,
// or in JAVA_TOOL_OPTIONS) with its folder as the option string; it starts the configured agents listed
// in agents.txt there, in order, each isolated (a failing agent prints one stderr line and the JVM
// still starts, unless it is critical) and timed. Started directly with -javaagent, a throwing premain
// would abort the JVM.
//
// Compiled for Java 8 (the oldest Lambda JVM) by runners/java/build.sh into WrapgenAgents.class and
// WrapgenAgentsRare.class, which wrapgen packs into the layer's jar at build time, so building a layer
// needs no JDK.
//
// Cold start (docs/hooks.md): all of this runs in the interpreter, once, on the JVM's start path, so it
// is as short as the work allows. wrapgen's build reads each agent's manifest (Premain-Class,
// Boot-Class-Path) into agents.txt, so no manifest is read here; the list's folder comes as the option
// string, not from the class's code source; premain is found among the class's declared methods, not
// with getDeclaredMethod (whose NoSuchMethodException for the form an agent lacks builds its message
// with streams and lambdas); no String.split, regular expressions, StringBuilder or number formatting
// unless a failure or WRAPGEN_TIMING=1 needs them: that code is in WrapgenAgentsRare, which the JVM
// loads (and verifies) only then. In no package: the JVM reads a jar's manifest when it defines a class
// of a named package from it (java.lang.Package, the manifest and verifier classes).
import java.io.File;
import java.io.FileInputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.jar.JarFile;

public final class WrapgenAgents {
  /** Applied once per JVM, even when the runner is attached twice (argv and JAVA_TOOL_OPTIONS). */
  private static boolean started;

  private WrapgenAgents() {}

  public static void premain(String args, Instrumentation inst) {
    synchronized (WrapgenAgents.class) {
      if (started) return;
      started = true;
    }
    // The option string is the runner's folder; a runner attached without it (by hand, or by a wrapper
    // of an older build) finds agents.txt beside its jar.
    File dir = args != null && !args.isEmpty() ? new File(args) : WrapgenAgentsRare.ownFolder();
    if (dir == null) return;
    File list = new File(dir, "agents.txt");
    String text;
    try {
      // A plain FileInputStream: java.io readers and java.nio.file's channels are not in the JVM's
      // default class-data archive.
      byte[] bytes = new byte[(int) list.length()];
      int n = 0;
      try (FileInputStream in = new FileInputStream(list)) {
        for (int r; n < bytes.length && (r = in.read(bytes, n, bytes.length - n)) > 0; ) n += r;
      }
      text = new String(bytes, 0, n, "UTF-8");
    } catch (Exception e) {
      WrapgenAgentsRare.noList(list, e);
      return;
    }
    WrapgenAgentsRare timings = "1".equals(System.getenv("WRAPGEN_TIMING")) ? new WrapgenAgentsRare() : null;
    // One agent a line: critical|isolated, jar (relative to the folder), name, options, Premain-Class,
    // Boot-Class-Path (tab-separated; the last two read from the jar's manifest at build time).
    for (int at = 0, end; at < text.length(); at = end + 1) {
      end = text.indexOf('\n', at);
      if (end < 0) end = text.length();
      if (end == at || text.charAt(at) == '#') continue;
      int t1 = text.indexOf('\t', at);
      int t2 = text.indexOf('\t', t1 + 1);
      int t3 = text.indexOf('\t', t2 + 1);
      int t4 = text.indexOf('\t', t3 + 1);
      int t5 = text.indexOf('\t', t4 + 1);
      if (t1 < 0 || t2 < 0 || t3 < 0 || t4 < 0 || t5 < 0 || t5 > end) continue;
      boolean critical = text.startsWith("critical\t", at);
      String name = text.substring(t2 + 1, t3);
      long t0 = timings != null ? System.nanoTime() : 0;
      boolean ok = true;
      try {
        start(new File(dir, text.substring(t1 + 1, t2)), text.substring(t4 + 1, t5), text.substring(t5 + 1, end), t4 == t3 + 1 ? null : text.substring(t3 + 1, t4), inst);
      } catch (Throwable t) {
        ok = false;
        WrapgenAgentsRare.failed(name, t, critical);
      }
      if (timings != null) timings.add(name, System.nanoTime() - t0, ok);
    }
    if (timings != null) timings.print();
  }

  /** What the JVM does for -javaagent:jar=options: the jar joins the system class path, then premain runs. */
  private static void start(File jar, String premainClass, String bootPath, String options, Instrumentation inst) throws Exception {
    if (!jar.isFile()) throw WrapgenAgentsRare.missing(jar);
    if (!bootPath.isEmpty()) WrapgenAgentsRare.bootClassPath(jar, bootPath, inst);
    // The JarFile stays open: the class path takes it (closing it would load more classes).
    inst.appendToSystemClassLoaderSearch(new JarFile(jar, false));
    Class<?> c = Class.forName(premainClass, true, ClassLoader.getSystemClassLoader());
    // The JVM's order: premain(String, Instrumentation) then premain(String) declared by the class
    // itself, then the same inherited (looked up only when the class declares neither).
    Method withInst = null;
    Method plain = null;
    for (Method m : c.getDeclaredMethods()) {
      int mod = m.getModifiers();
      if (!Modifier.isStatic(mod) || !Modifier.isPublic(mod) || !"premain".equals(m.getName())) continue;
      Class<?>[] p = m.getParameterTypes();
      if (p.length == 2 && p[0] == String.class && p[1] == Instrumentation.class) withInst = m;
      else if (p.length == 1 && p[0] == String.class) plain = m;
    }
    if (withInst != null) withInst.invoke(null, options, inst);
    else if (plain != null) plain.invoke(null, options);
    else WrapgenAgentsRare.inherited(c, premainClass, options, inst);
  }
}

/**
 * What only a failure, a runner attached without its option string or WRAPGEN_TIMING=1 needs: kept out
 * of WrapgenAgents, so that the JVM loads and verifies none of it on an ordinary start.
 */
final class WrapgenAgentsRare {
  private final StringBuilder timings = new StringBuilder();

  /** The runner jar's folder, from its code source (decoded only when the path holds an escape). */
  static File ownFolder() {
    try {
      java.net.URL url = WrapgenAgents.class.getProtectionDomain().getCodeSource().getLocation();
      String path = url.getPath();
      return (path.indexOf('%') >= 0 ? new File(url.toURI()) : new File(path)).getParentFile();
    } catch (Exception e) {
      System.err.println("wrapgen: cannot find the agent list beside the runner jar (" + e + "); no agents started");
      return null;
    }
  }

  static void noList(File list, Exception e) {
    System.err.println("wrapgen: cannot read " + list + " (" + e.getMessage() + "); no agents started");
  }

  static Exception missing(File jar) {
    return new java.io.FileNotFoundException(jar + " is missing from the layer");
  }

  /** The jars of a Boot-Class-Path (space-separated, relative to the agent jar's folder), as the JVM adds them. */
  static void bootClassPath(File jar, String bootPath, Instrumentation inst) throws Exception {
    for (String p : bootPath.trim().split(" +")) {
      File b = new File(p).isAbsolute() ? new File(p) : new File(jar.getParentFile(), p);
      if (b.isFile()) inst.appendToBootstrapClassLoaderSearch(new JarFile(b));
    }
  }

  /** A premain the class inherits (Class.getMethod walks Object's methods too, loading more classes). */
  static void inherited(Class<?> c, String premainClass, String options, Instrumentation inst) throws Exception {
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

  /** One stderr line; a critical agent ends the JVM. */
  static void failed(String name, Throwable t, boolean critical) {
    Throwable cause = t instanceof java.lang.reflect.InvocationTargetException && t.getCause() != null ? t.getCause() : t;
    String message = String.valueOf(cause.getMessage()).split("\n", 2)[0];
    System.err.println("wrapgen: agent " + name + " failed: " + cause.getClass().getName() + ("null".equals(message) ? "" : ": " + message) + (critical ? " (critical: stopping start-up)" : "; skipped"));
    if (critical) {
      System.err.flush();
      System.exit(1);
    }
  }

  void add(String name, long nanos, boolean ok) {
    long us = (nanos + 500) / 1000;
    String frac = String.valueOf(1000 + us % 1000).substring(1);
    timings.append(timings.length() == 0 ? "" : ",").append("{\"name\":").append(json(name)).append(",\"ms\":").append(us / 1000).append('.').append(frac).append(",\"ok\":").append(ok).append('}');
  }

  void print() {
    System.err.println("{\"wrapgen\":\"hooks\",\"runtime\":\"java\",\"hooks\":[" + timings + "]}");
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
