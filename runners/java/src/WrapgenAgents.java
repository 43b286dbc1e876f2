// wrapgen's Java agent runner. The wrapper attaches this one agent (-javaagent: before the main class,
// or in JAVA_TOOL_OPTIONS) with its folder as the option string; it starts the configured agents of
// agents.txt (whose text the build writes into this class: LIST), in order, each isolated (a failing
// agent prints one stderr line and the JVM still starts, unless it is critical) and timed. Started
// directly with -javaagent, a throwing premain would abort the JVM.
//
// Compiled for Java 8 (the oldest Lambda JVM) by runners/java/build.sh into WrapgenAgents.class and
// WrapgenAgentsRare.class, which wrapgen packs into the layer's jar at build time, so building a layer
// needs no JDK.
//
// Cold start (docs/hooks.md): all of this runs in the interpreter, once, on the JVM's start path, so it
// does only what the work needs. wrapgen's build reads each agent's manifest (Premain-Class,
// Boot-Class-Path) into agents.txt, so no manifest is read here, and writes that list into this class,
// so no file is opened; for the first agent, it reads in its class file which premain the JVM would call
// and names that class here (start()), so that one is called straight. The list's folder comes as the
// option string, not from the class's code source; another agent's premain is found among its class's
// declared methods, not
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
//
// wrapgen's build usually writes the runner into the first agent's jar (its copy in the layer, with this
// class as Premain-Class): the JVM then opens one jar, not two, and that agent's class is loaded from
// the jar already on the class path (docs/hooks.md). Such an agent may append its own jar to the boot
// class path (OpenTelemetry's does): WrapgenAgentsRare, loaded later, may then come from the boot
// loader, so it and what this class calls in it are public.
import java.io.FileInputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.jar.JarFile;

public final class WrapgenAgents {
  /** Applied once per JVM, even when the runner is attached twice (argv and JAVA_TOOL_OPTIONS). */
  private static boolean started;

  /**
   * agents.txt's text, which wrapgen's build writes here in place of this one-character stand-in
   * (java-class.ts): no file to open on a cold start (0.2 M instructions). Each char is one byte of
   * the list's UTF-8, so the runner copies it into bytes without a charset; a list too long for a class
   * file's constant (64 KB) is read from agents.txt instead.
   */
  private static final String LIST = "\u0001";

  private WrapgenAgents() {}

  @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): each char's low byte, no charset
  public static void premain(String args, Instrumentation inst) {
    synchronized (WrapgenAgents.class) {
      if (started) return;
      started = true;
    }
    // The option string is the runner's folder (the agents' jars are relative to it); a runner attached
    // without it (by hand, or by a wrapper of an older build) finds it from its own jar.
    String dir = args != null && !args.isEmpty() ? args : WrapgenAgentsRare.ownFolder();
    if (dir == null) return;
    byte[] list;
    String embedded = LIST;
    if (embedded.length() > 1) {
      list = new byte[embedded.length()];
      embedded.getBytes(0, list.length, list, 0);
    } else {
      try {
        list = read(dir.concat("/agents.txt"));
      } catch (Throwable e) {
        WrapgenAgentsRare.noList(dir, e);
        return;
      }
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
   * against every instruction here): a failed read leaves the stream to its cleaner. Throws Throwable
   * (see start).
   */
  private static byte[] read(String path) throws Throwable {
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
   * (relative to the folder; empty for the agent the runner's own jar holds), name, options,
   * Premain-Class, Boot-Class-Path (these two read from the jar's manifest at build time), and how to
   * call premain, tab-separated. The jar joins the system class path (and its Boot-Class-Path the boot
   * one), then premain runs. Apart from premain's loop, whose try block stays a single call: the JVM
   * verifies every instruction a try block covers against its handler. Throws Throwable, not Exception:
   * a checked exception a method declares is one more class the JVM resolves when it lists this
   * class's methods to find premain.
   */
  private static void start(String dir, byte[] b, int at, int end, Instrumentation inst) throws Throwable {
    int t1 = next(b, at, '\t', end);
    int t2 = next(b, t1 + 1, '\t', end);
    int t3 = next(b, t2 + 1, '\t', end);
    int t4 = next(b, t3 + 1, '\t', end);
    int t5 = next(b, t4 + 1, '\t', end);
    int t6 = next(b, t5 + 1, '\t', end);
    String options = t4 == t3 + 1 ? null : new String(b, t3 + 1, t4 - t3 - 1, "UTF-8");
    // No file: the agent is in the runner's own jar (wrapgen's build hosts the runner in the first
    // agent's copy), which the JVM has put on the class path, with its Boot-Class-Path, to start the runner.
    if (t2 != t1 + 1) {
      String jar = dir.concat("/").concat(new String(b, t1 + 1, t2 - t1 - 1, "UTF-8"));
      if (t6 > t5 + 1) WrapgenAgentsRare.bootClassPath(jar, new String(b, t5 + 1, t6 - t5 - 1, "UTF-8"), inst);
      // The JarFile stays open: the class path takes it (closing it would load more classes).
      inst.appendToSystemClassLoaderSearch(new JarFile(jar, false));
    }
    // The first agent, called straight: wrapgen's build wrote its class's name into this class in place
    // of WrapgenAgentTarget's (java-class.ts), having read in its class file that the JVM would call that
    // premain and that this class may (the last field: 2 for (String, Instrumentation), 1 for (String)).
    // The JVM resolves the call as it loads an agent, with the system class loader, and initialises the
    // class only now; no premain lookup by reflection, no reflective call (about 0.3 M instructions).
    if (t6 + 1 < end) {
      if (b[t6 + 1] == '2') WrapgenAgentTarget.premain(options, inst);
      else WrapgenAgentTarget.premain(options);
      return;
    }
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
