package dev.companion.adapter.cli;

/**
 * Where {@code chat} hears Ctrl-C. In a real terminal that is SIGINT; tests hand the command their
 * own source, so they can press "Ctrl-C" without sending the JVM a signal.
 */
interface Interrupts {

    /** Calls {@code onInterrupt} (on some other thread) at each Ctrl-C until the handle is closed. */
    Handle listen(Runnable onInterrupt);

    /** Stops listening and gives Ctrl-C back its previous meaning. */
    interface Handle extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * SIGINT, taken only in a real terminal session (standard input and output both a terminal).
     * Anywhere else, a piped chat for instance, Ctrl-C keeps its usual meaning: the process ends.
     */
    static Interrupts terminal() {
        return onInterrupt -> {
            if (System.console() == null) {
                return () -> { };
            }
            try {
                return SignalInterrupts.listen(onInterrupt);
            } catch (LinkageError e) {
                // A runtime image without jdk.unsupported: Ctrl-C ends the process, as it would anyway.
                return () -> { };
            }
        };
    }
}
