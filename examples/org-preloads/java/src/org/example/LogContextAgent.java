// Every Java function in the organisation carries its service and team as system properties before
// the runtime loads the handler. A Java agent: wrapgen's runner agent starts it with the options from
// the team's config ("service=orders,team=checkout"), isolated and timed.
package org.example;

public final class LogContextAgent {
  private LogContextAgent() {}

  public static void premain(String options) {
    String service = System.getenv().getOrDefault("AWS_LAMBDA_FUNCTION_NAME", "unknown");
    String team = "unknown";
    for (String pair : (options == null ? "" : options).split(",")) {
      String[] kv = pair.split("=", 2);
      if (kv.length != 2) continue;
      if (kv[0].equals("service")) service = kv[1];
      if (kv[0].equals("team")) team = kv[1];
    }
    System.setProperty("org.service", service);
    System.setProperty("org.team", team);
    System.err.println("{\"preload\":\"log-context-agent\",\"message\":\"log context set\",\"service\":\"" + service + "\",\"team\":\"" + team + "\"}");
  }
}
