// wrapgen's Java agent runner's rare paths (see WrapgenAgents.java). Public, with public methods: when
// the runner is hosted in an agent's jar and that agent appends its jar to the boot class path, this
// class is found by the boot loader (the system class loader asks its parents first), in another
// runtime package than WrapgenAgents, which must still reach it.
import java.io.File;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.jar.JarFile;

/**
 * What only a failure, a runner attached without its option string or WRAPGEN_TIMING=1 needs: kept out
 * of WrapgenAgents, so that the JVM loads and verifies none of it on an ordinary start.
 */
public final class WrapgenAgentsRare {
  private final StringBuilder timings = new StringBuilder();

  public WrapgenAgentsRare() {}

  /** The runner jar's folder, from its code source. */
  public static String ownFolder() {
    try {
      return new File(WrapgenAgents.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
    } catch (Exception e) {
      System.err.println("wrapgen: cannot find the agent list beside the runner jar (" + e + "); no agents started");
      return null;
    }
  }

  public static void noList(String dir, Throwable e) {
    System.err.println("wrapgen: cannot read " + new File(dir, "agents.txt") + " (" + e.getMessage() + "); no agents started");
  }

  /** The jars of a Boot-Class-Path (space-separated, relative to the agent jar's folder), as the JVM adds them. */
  public static void bootClassPath(String jar, String bootPath, Instrumentation inst) throws Exception {
    for (String p : bootPath.trim().split(" +")) {
      File b = new File(p).isAbsolute() ? new File(p) : new File(new File(jar).getParentFile(), p);
      if (b.isFile()) inst.appendToBootstrapClassLoaderSearch(new JarFile(b));
    }
  }

  /**
   * A premain the class inherits (Class.getMethod walks Object's methods too, loading more classes),
   * called past the access check when the class declaring it is not public, as the JVM does.
   */
  public static void inherited(Class<?> c, String options, Instrumentation inst) throws Exception {
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

  /** An agents.txt line's fields (critical|isolated, jar, name, options, Premain-Class, Boot-Class-Path, call), each "" when absent. */
  private static String[] fields(byte[] list, int at, int end) {
    String[] f = java.util.Arrays.copyOf(new String(list, at, end - at, java.nio.charset.StandardCharsets.UTF_8).split("\t", -1), 7);
    for (int i = 0; i < f.length; i++) if (f[i] == null) f[i] = "";
    return f;
  }

  public static byte[] copy(byte[] bytes, int n) {
    return java.util.Arrays.copyOf(bytes, n);
  }

  /** One stderr line (a jar missing from the layer said so); a critical agent ends the JVM. */
  public static void failed(String dir, byte[] list, int at, int end, Throwable t) {
    String[] f = fields(list, at, end);
    String name = f[2];
    String jar = dir + "/" + f[1];
    boolean critical = "critical".equals(f[0]);
    Throwable cause = t instanceof java.lang.reflect.InvocationTargetException && t.getCause() != null ? t.getCause() : t;
    if (cause instanceof java.io.IOException && !f[1].isEmpty() && !new File(jar).isFile()) cause = new java.io.FileNotFoundException(jar + " is missing from the layer");
    String message = String.valueOf(cause.getMessage()).split("\n", 2)[0];
    System.err.println("wrapgen: agent " + name + " failed: " + cause.getClass().getName() + ("null".equals(message) ? "" : ": " + message) + (critical ? " (critical: stopping start-up)" : "; skipped"));
    if (critical) {
      System.err.flush();
      System.exit(1);
    }
  }

  public void add(byte[] list, int at, int end, long nanos, boolean ok) {
    String name = fields(list, at, end)[2];
    long us = (nanos + 500) / 1000;
    String frac = String.valueOf(1000 + us % 1000).substring(1);
    timings.append(timings.length() == 0 ? "" : ",").append("{\"name\":").append(json(name)).append(",\"ms\":").append(us / 1000).append('.').append(frac).append(",\"ok\":").append(ok).append('}');
  }

  public void print() {
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
