// Stands for the first agent's class when WrapgenAgents is compiled: wrapgen's build writes that class's
// name into WrapgenAgents's constant pool in place of this one's (src/startup-hooks/java-class.ts), so that
// the runner calls its premain straight. Never packed into a layer; its name is the one the build looks for.
import java.lang.instrument.Instrumentation;

final class WrapgenAgentTarget {
  private WrapgenAgentTarget() {}

  static void premain(String args, Instrumentation inst) {}

  static void premain(String args) {}
}
