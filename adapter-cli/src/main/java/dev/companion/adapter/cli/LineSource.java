package dev.companion.adapter.cli;

import java.time.Duration;

/**
 * Where chat reads what is typed at its prompt, one message at a time (a line ending with {@code \}
 * goes on on the next), and hears Ctrl-C: a terminal with line editing ({@link TerminalLines}) or
 * plain lines from a pipe ({@link PipedLines}).
 */
interface LineSource extends AutoCloseable {

    /**
     * Reads one message. {@code prefill} (may be null) is put in the line to edit, where the source
     * can ({@link #canPrefill()}).
     */
    Input read(String prompt, String continuationPrompt, String prefill) throws InterruptedException;

    /** Whether {@link #read} can put words in the line for the person to edit. */
    boolean canPrefill();

    /** The width to wrap replies at, in columns; 0 for none (not a terminal). */
    int width();

    /** Calls {@code onInterrupt} at a Ctrl-C pressed while no line is being read (during a reply). */
    Interrupts.Handle listen(Runnable onInterrupt);

    /**
     * A Ctrl-C that {@link #listen} heard when no reply was running after all (between a reply's end
     * and the next prompt): the next {@link #read} answers it.
     */
    void interruptedAtPrompt(boolean again);

    @Override
    void close();

    /** What was typed at the prompt. */
    sealed interface Input {
        /** A whole message: continued lines joined by line breaks, without their backslashes. */
        record Line(String text) implements Input {
        }

        /** Ctrl-D, or the end of piped input. */
        record End() implements Input {
        }

        /** Ctrl-C at the prompt (what was typed is dropped); {@code again} when it came right after another. */
        record Interrupt(boolean again) implements Input {
        }
    }

    /** When Ctrl-C was last pressed, wherever: a second within {@link #AGAIN_WITHIN} means leave. */
    final class CtrlC {

        /** A Ctrl-C this soon after the one before leaves, whatever is going on. */
        static final Duration AGAIN_WITHIN = Duration.ofSeconds(2);

        private boolean pressedBefore;
        private long lastPressed;

        /** Notes a Ctrl-C; true when it came within {@link #AGAIN_WITHIN} of the one before. */
        synchronized boolean press() {
            long now = System.nanoTime();
            boolean again = pressedBefore && now - lastPressed < AGAIN_WITHIN.toNanos();
            pressedBefore = true;
            lastPressed = now;
            return again;
        }
    }
}
