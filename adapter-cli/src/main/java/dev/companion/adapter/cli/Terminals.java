package dev.companion.adapter.cli;

import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Where {@code chat} finds a terminal to edit lines in. With one, the prompt has line editing,
 * history and completion (JLine); without one (a pipe, a file, a test's streams), chat reads plain
 * lines from standard input. Tests hand in a virtual terminal of a chosen size.
 */
interface Terminals {

    /** A terminal to use, or empty for plain lines. The caller closes it. */
    Optional<Terminal> open() throws IOException;

    /** No terminal: plain lines from standard input. */
    static Terminals none() {
        return Optional::empty;
    }

    /**
     * The process's own terminal, only when standard input and output both are one (and
     * {@code stdin} is the process's). A terminal JLine can only drive as "dumb" is no better than
     * plain lines, and would echo what the terminal already echoes, so it is not used.
     */
    static Terminals system(InputStream stdin) {
        return () -> {
            if (stdin != System.in || System.console() == null) {
                return Optional.empty();
            }
            Terminal terminal;
            try {
                terminal = TerminalBuilder.builder().system(true).dumb(false).build();
            } catch (IOException | RuntimeException | LinkageError e) {
                // No provider could reach the terminal (an unusual JDK or platform): plain lines still work.
                return Optional.empty();
            }
            if (Terminal.TYPE_DUMB.equals(terminal.getType()) || Terminal.TYPE_DUMB_COLOR.equals(terminal.getType())) {
                terminal.close();
                return Optional.empty();
            }
            return Optional.of(terminal);
        };
    }
}
