// The orders service's java function. The organisation's log-context agent (in the layer) has set the
// org.service and org.team system properties before the runtime client loads this class:
//   npx wrapgen invoke --cwd examples/service --runtime java21 --task function-java/classes --handler example.Handler::handleRequest
// No dependency: the runtime client calls a public handleRequest(Map) with the event as a Map.
package example;

import java.util.LinkedHashMap;
import java.util.Map;

public class Handler {
  public Map<String, Object> handleRequest(Map<String, Object> event) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("orderId", event.get("orderId"));
    out.put("service", System.getProperty("org.service"));
    out.put("team", System.getProperty("org.team"));
    return out;
  }
}
