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
// does only what the work needs. wrapgen's build reads each agent's manifest (Premain-Class,
// Boot-Class-Path) into agents.txt, so no manifest is read here; the list's folder comes as the option
// string, not from the class's code source; premain is found among the class's declared methods, not
// with getDeclaredMethod (whose NoSuchMethodException for the form an agent lacks builds its message
// with streams and lambdas); the list is scanned as bytes in the runner's own loop (see next()). Each
// JDK class this class names is resolved through the class loader's Java code the first time: paths are
// Strings (no java.io.File), modifiers are tested against the constants javac inlines (no
// java.lang.reflect.Modifier), and strings are joined with String.concat (no StringBuilder).
// What only a failure, a runner attached without its option string or WRAPGEN_TIMING=1 needs (messages,
// number formatting) is in WrapgenAgentsRare, which the JVM loads and verifies only then. The JVM's
// lookup of premain makes a Method of every method this class declares, resolving the types in their
// signatures, so the helpers take Strings and byte arrays (one taking a WrapgenAgentsRare would load
// it). In no package: the JVM reads a jar's manifest when it defines a class of a named package from it.
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
    String dir = args != null && !args.isEmpty() ? args : WrapgenAgentsRare.ownFolder();
    if (dir == null) return;
    byte[] list;
    try {
      list = read(dir.concat("/agents.txt"));
    } catch (Throwable e) {
      WrapgenAgentsRare.noList(dir, e);
      return;
    }
    WrapgenAgentsRare timings = "1".equals(System.getenv("WRAPGEN_TIMING")) ? new WrapgenAgentsRare() : null;
    for (int at = 0, end; at < list.length; at = end + 1) {
      end = next(list, at, '\n', list.length);
      if (end == at || list[at] == '#') continue;
      long t0 = timings != null ? System.nanoTime() : 0;
      boolean ok = true;
      try {
        start(dir, list, at, end, inst);
      } catch (Throwable t) {
        ok = false;
        WrapgenAgentsRare.failed(dir, list, at, end, t);
      }
      if (timings != null) timings.add(list, at, end, System.nanoTime() - t0, ok);
    }
    if (timings != null) timings.print();
  }

  /**
   * A file's bytes, read with a plain FileInputStream: java.io readers and java.nio.file's channels are
   * not in the JVM's default class-data archive. Without a finally block (its handler would be verified
   * against every instruction here): a failed read leaves the stream to its cleaner.
   */
  private static byte[] read(String path) throws Exception {
    FileInputStream in = new FileInputStream(path);
    byte[] bytes = new byte[in.available()];
    int n = 0;
    for (int r; n < bytes.length && (r = in.read(bytes, n, bytes.length - n)) > 0; ) n += r;
    in.close();
    return n == bytes.length ? bytes : WrapgenAgentsRare.copy(bytes, n);
  }

  /**
   * The index of the first byte `c` in b[from, end), or end. The list is scanned here, as bytes (a tab
   * or a newline is never part of a UTF-8 sequence), not with String.indexOf: the JVM counts a JDK
   * method's loops across the whole process, and the runner's would make it compile String.indexOf
   * during start-up, on the compiler thread's CPU time.
   */
  private static int next(byte[] b, int from, int c, int end) {
    while (from < end && b[from] != c) from++;
    return from;
  }

  /**
   * What the JVM does for -javaagent:jar=options, for one line of agents.txt: critical|isolated, jar
   * (relative to the folder), name, options, Premain-Class, Boot-Class-Path, tab-separated (the last
   * two read from the jar's manifest at build time). The jar joins the system class path (and its
   * Boot-Class-Path the boot one), then premain runs. Apart from premain's loop, whose try block stays
   * a single call: the JVM verifies every instruction a try block covers against its handler.
   */
  private static void start(String dir, byte[] b, int at, int end, Instrumentation inst) throws Exception {
    int t1 = next(b, at, '\t', end);
    int t2 = next(b, t1 + 1, '\t', end);
    int t3 = next(b, t2 + 1, '\t', end);
    int t4 = next(b, t3 + 1, '\t', end);
    int t5 = next(b, t4 + 1, '\t', end);
    String jar = dir.concat("/").concat(new String(b, t1 + 1, t2 - t1 - 1, "UTF-8"));
    String options = t4 == t3 + 1 ? null : new String(b, t3 + 1, t4 - t3 - 1, "UTF-8");
    if (t5 + 1 < end) WrapgenAgentsRare.bootClassPath(jar, new String(b, t5 + 1, end - t5 - 1, "UTF-8"), inst);
    // The JarFile stays open: the class path takes it (closing it would load more classes).
    inst.appendToSystemClassLoaderSearch(new JarFile(jar, false));
    // As the JVM loads an agent (java.instrument's loadClassAndStartAgent): with the system class loader,
    // initialised only when its premain is invoked (a class without one never is).
    Class<?> c = ClassLoader.getSystemClassLoader().loadClass(new String(b, t4 + 1, t5 - t4 - 1, "UTF-8"));
    // The JVM's order: premain(String, Instrumentation) then premain(String) declared by the class
    // itself, then the same inherited (looked up only when the class declares neither).
    Method withInst = null;
    Method plain = null;
    for (Method m : c.getDeclaredMethods()) {
      if ((m.getModifiers() & (Modifier.PUBLIC | Modifier.STATIC)) != (Modifier.PUBLIC | Modifier.STATIC) || !"premain".equals(m.getName())) continue;
      Class<?>[] p = m.getParameterTypes();
      if (p.length == 2 && p[0] == String.class && p[1] == Instrumentation.class) withInst = m;
      else if (p.length == 1 && p[0] == String.class) plain = m;
    }
    Method m = withInst != null ? withInst : plain;
    if (m == null) {
      WrapgenAgentsRare.inherited(c, options, inst);
      return;
    }
    // An agent class that is not public (in a package: the runner could not call its premain) is started
    // past the access check, as the JVM does.
    if ((c.getModifiers() & Modifier.PUBLIC) == 0) m.setAccessible(true);
    if (m == withInst) m.invoke(null, options, inst);
    else m.invoke(null, options);
  }
}

/**
 * What only a failure, a runner attached without its option string or WRAPGEN_TIMING=1 needs: kept out
 * of WrapgenAgents, so that the JVM loads and verifies none of it on an ordinary start.
 */
final class WrapgenAgentsRare {
  private final StringBuilder timings = new StringBuilder();

  /** The runner jar's folder, from its code source. */
  static String ownFolder() {
    try {
      return new File(WrapgenAgents.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
    } catch (Exception e) {
      System.err.println("wrapgen: cannot find the agent list beside the runner jar (" + e + "); no agents started");
      return null;
    }
  }

  static void noList(String dir, Throwable e) {
    System.err.println("wrapgen: cannot read " + new File(dir, "agents.txt") + " (" + e.getMessage() + "); no agents started");
  }

  /** The jars of a Boot-Class-Path (space-separated, relative to the agent jar's folder), as the JVM adds them. */
  static void bootClassPath(String jar, String bootPath, Instrumentation inst) throws Exception {
    for (String p : bootPath.trim().split(" +")) {
      File b = new File(p).isAbsolute() ? new File(p) : new File(new File(jar).getParentFile(), p);
      if (b.isFile()) inst.appendToBootstrapClassLoaderSearch(new JarFile(b));
    }
  }

  /**
   * A premain the class inherits (Class.getMethod walks Object's methods too, loading more classes),
   * called past the access check when the class declaring it is not public, as the JVM does.
   */
  static void inherited(Class<?> c, String options, Instrumentation inst) throws Exception {
    Method withInst = find(c, String.class, Instrumentation.class);
    Method m = withInst != null ? withInst : find(c, String.class);
    if (m == null) throw new NoSuchMethodException(c.getName() + ".premain(String[, Instrumentation]) is not a public static method");
    if (!Modifier.isPublic(m.getDeclaringClass().getModifiers())) m.setAccessible(true);
    if (m == withInst) m.invoke(null, options, inst);
    else m.invoke(null, options);
  }

  private static Method find(Class<?> c, Class<?>... params) {
    try {
      Method m = c.getMethod("premain", params);
      return Modifier.isStatic(m.getModifiers()) ? m : null;
    } catch (NoSuchMethodException e) {
      return null;
    }
  }

  /** An agents.txt line's fields (critical|isolated, jar, name, options, Premain-Class, Boot-Class-Path), each "" when absent. */
  private static String[] fields(byte[] list, int at, int end) {
    String[] f = java.util.Arrays.copyOf(new String(list, at, end - at, java.nio.charset.StandardCharsets.UTF_8).split("\t", -1), 6);
    for (int i = 0; i < f.length; i++) if (f[i] == null) f[i] = "";
    return f;
  }

  static byte[] copy(byte[] bytes, int n) {
    return java.util.Arrays.copyOf(bytes, n);
  }

  /** One stderr line (a jar missing from the layer said so); a critical agent ends the JVM. */
  static void failed(String dir, byte[] list, int at, int end, Throwable t) {
    String[] f = fields(list, at, end);
    String name = f[2];
    String jar = dir + "/" + f[1];
    boolean critical = "critical".equals(f[0]);
    Throwable cause = t instanceof java.lang.reflect.InvocationTargetException && t.getCause() != null ? t.getCause() : t;
    if (cause instanceof java.io.IOException && !new File(jar).isFile()) cause = new java.io.FileNotFoundException(jar + " is missing from the layer");
    String message = String.valueOf(cause.getMessage()).split("\n", 2)[0];
    System.err.println("wrapgen: agent " + name + " failed: " + cause.getClass().getName() + ("null".equals(message) ? "" : ": " + message) + (critical ? " (critical: stopping start-up)" : "; skipped"));
    if (critical) {
      System.err.flush();
      System.exit(1);
    }
  }

  void add(byte[] list, int at, int end, long nanos, boolean ok) {
    String name = fields(list, at, end)[2];
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
