package dev.companion.adapter.cli;

import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.ExternalTerminal;
import org.jline.utils.WriterOutputStream;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * {@code companion chat} in a virtual terminal of a chosen width, as JLine drives a real one: keys
 * are bytes typed into the terminal (Enter, arrows, Ctrl-A, Ctrl-R, Ctrl-C as 0x03, which the
 * terminal's line discipline turns into the interrupt signal), and the screen is everything the chat
 * and JLine wrote, escape sequences included.
 */
final class TerminalChat implements AutoCloseable {

    static final String ENTER = "\r";
    /** The arrow keys as xterm sends them once JLine has put it in keypad (application) mode. */
    static final String UP = "\u001bOA";
    static final String LEFT = "\u001bOD";
    static final String CTRL_A = "\u0001";
    static final String CTRL_E = "\u0005";
    static final String CTRL_R = "\u0012";
    static final String CTRL_C = "\u0003";
    static final String CTRL_D = "\u0004";
    static final String TAB = "\t";

    final LiveChat.Keyboard keyboard = new LiveChat.Keyboard();
    final LiveChat.Screen screen = new LiveChat.Screen();
    final LiveChat.Screen err = new LiveChat.Screen();
    final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final Thread thread;

    TerminalChat(CompanionCommandLine.Launcher launcher, int columns, String... options) {
        Terminals terminals = () -> Optional.of(terminal(columns));
        CommandLine commandLine = Commands.build(launcher, "1.2.3", keyboard.input, keyboard, terminals);
        commandLine.setOut(new PrintWriter(screen, true));
        commandLine.setErr(new PrintWriter(err, true));
        String[] args = Stream.concat(Stream.of("chat"), Stream.of(options)).toArray(String[]::new);
        thread = new Thread(() -> {
            try {
                exit.complete(commandLine.execute(args));
            } catch (Throwable t) {
                exit.completeExceptionally(t);
            }
        }, "terminal-chat");
        thread.start();
    }

    /**
     * A terminal with JLine's own line discipline, as a remote (ssh, telnet) terminal is: it turns a
     * typed 0x03 into the interrupt signal as the kernel does for a real one. (TerminalBuilder would
     * open a real pseudo-terminal, whose Ctrl-C goes to a process group this JVM is not in.)
     */
    private Terminal terminal(int columns) throws IOException {
        return new ExternalTerminal(null, "test", "xterm", keyboard.input,
                new WriterOutputStream(screen, StandardCharsets.UTF_8), StandardCharsets.UTF_8,
                Terminal.SignalHandler.SIG_DFL, false, null, new Size(columns, 24));
    }

    /** Types keys as they are, e.g. {@code "hello" + ENTER}. */
    void press(String keys) {
        keyboard.type(keys);
    }

    /** The screen with carriage returns dropped, so lines compare as text. */
    String text() {
        return screen.text().replace("\r", "");
    }

    int awaitExit() throws InterruptedException, ExecutionException, TimeoutException {
        return exit.get(LiveChat.DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        keyboard.endOfInput();
        thread.join(LiveChat.DEADLINE.toMillis());
    }
}
