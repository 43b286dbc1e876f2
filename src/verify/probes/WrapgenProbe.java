// wrapgen's java probe: runs in place of the runtime's main class and reports the JVM's input arguments.
import java.lang.management.ManagementFactory;
import java.util.List;

public class WrapgenProbe {
  public static void main(String[] args) throws Exception {
    List<String> input = ManagementFactory.getRuntimeMXBean().getInputArguments();
    StringBuilder json = new StringBuilder("{\"inputArguments\":[");
    for (int i = 0; i < input.size(); i++) json.append(i > 0 ? "," : "").append(quote(input.get(i)));
    json.append("],\"args\":[");
    for (int i = 0; i < args.length; i++) json.append(i > 0 ? "," : "").append(quote(args[i]));
    json.append("],\"maxHeap\":").append(Runtime.getRuntime().maxMemory()).append(",\"pid\":").append(ProcessHandle.current().pid()).append("}");
    // fd 3 may be a socket, which /dev/fd cannot reopen: one marked line on stderr instead.
    System.err.println("@wrapgen-probe " + json);
    System.err.flush();
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
}
