package dev.companion.adapter.cli;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C as SIGINT. Java has no portable API for signals; {@code sun.misc.Signal} (module
 * jdk.unsupported, present in every JDK since 9) is the one every JDK keeps for exactly this. The
 * previous handler, the JVM's own that runs the shutdown hooks and exits, is put back on close.
 */
final class SignalInterrupts {

    private SignalInterrupts() {
    }

    static Interrupts.Handle listen(Runnable onInterrupt) {
        Signal interrupt = new Signal("INT");
        SignalHandler previous;
        try {
            previous = Signal.handle(interrupt, signal -> onInterrupt.run());
        } catch (IllegalArgumentException e) {
            // The JVM keeps SIGINT to itself (-Xrs, or a debugger): Ctrl-C keeps its usual meaning.
            return () -> { };
        }
        return () -> Signal.handle(interrupt, previous);
    }
}
