package dev.companion.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code companion chat} in a real pseudo-terminal: the program runs in a detached tmux session (a
 * server of its own on a socket in a temporary directory), keys are typed with {@code send-keys},
 * and the screen is read with {@code capture-pane}. Ctrl-C goes through the terminal's line
 * discipline as SIGINT, exactly as when a person presses it.
 */
class ChatTerminalTest {

    /** Long enough for a JVM to start on a busy machine; each wait ends as soon as the screen shows it. */
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    /** How often the screen is read while waiting: polling, not a guess at how long anything takes. */
    private static final Duration POLL = Duration.ofMillis(50);
    /**
     * Words of the offline reply arrive this far apart (about 7 s for its ~95 words), so the second
     * reply is surely still streaming when Ctrl-C is pressed just after its first words show.
     */
    private static final int PAUSE_MS = 80;

    private static final String REPLY_START = "This reply comes from the offline model";
    private static final String REPLY_END = "or a local Ollama server.";

    @TempDir
    Path dir;

    private Path socket;

    @Test
    void chat_streams_a_reply_cancels_the_next_with_ctrl_c_and_leaves_at_exit() throws Exception {
        socket = dir.resolve("tmux.sock");
        Path config = Files.writeString(dir.resolve("tmux.conf"),
                // Keep the pane after the program ends, so its last words can still be read.
                "set-option -g remain-on-exit on\nset-option -g history-limit 10000\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // The shell around the program reports its exit status (it waits through Ctrl-C, which the
        // program handles): tmux does not always reap a pane's process, so #{pane_dead_status} can stay empty.
        String program = "env " + ModelSelection.OFFLINE_PAUSE_ENV + "=" + PAUSE_MS + " " + quote(java)
                + " -cp " + quote(System.getProperty("java.class.path"))
                + " dev.companion.app.Main chat --ephemeral --provider offline; echo \"companion exited with status $?\"";
        try {
            tmux("-f", config.toString(), "new-session", "-d", "-x", "120", "-y", "40", "-s", "chat", program);

            awaitScreen("the first prompt", screen -> screen.contains("you> "));
            type("hello there");
            String first = awaitScreen("the reply, streamed, then the prompt again", screen ->
                    screen.contains(REPLY_END) && screen.lastIndexOf("you> ") > screen.indexOf(REPLY_END));
            assertThat(first).contains("you> hello there").contains("companion> " + REPLY_START);

            type("and one more, please");
            awaitScreen("the second reply under way", screen -> count(screen, "companion> " + REPLY_START) == 2);
            tmux("send-keys", "-t", "chat", "C-c");

            String cancelled = awaitScreen("the turn cancelled and the prompt back", screen ->
                    screen.contains("[cancelled]") && screen.lastIndexOf("you> ") > screen.indexOf("[cancelled]"));
            String secondReply = cancelled.substring(cancelled.lastIndexOf("companion> "), cancelled.indexOf("[cancelled]"));
            assertThat(secondReply).as("the second reply was cut short").doesNotContain(REPLY_END);
            assertThat(count(cancelled, REPLY_END)).isEqualTo(1);
            assertThat(cancelled).contains("(cancelled)");

            type("/exit");
            String ended = awaitScreen("the program to end", screen -> screen.contains("companion exited with status "));
            assertThat(ended).contains("you> /exit\n").contains("companion exited with status 0\n");
        } finally {
            tmuxQuietly("kill-server");
        }
    }

    private void type(String text) throws IOException, InterruptedException {
        tmux("send-keys", "-t", "chat", "-l", text);
        tmux("send-keys", "-t", "chat", "Enter");
    }

    /** Reads the whole pane (wrapped lines joined) until it shows what is expected. */
    private String awaitScreen(String what, Predicate<String> shown) throws IOException, InterruptedException {
        return await(what, this::screen, shown);
    }

    private String screen() throws IOException, InterruptedException {
        return tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "chat");
    }

    private String await(String what, Reading reading, Predicate<String> done) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        String seen = reading.read();
        while (!done.test(seen)) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("waited " + DEADLINE.toSeconds() + " s for " + what + "; the screen shows:\n" + seen);
            }
            TimeUnit.NANOSECONDS.sleep(POLL.toNanos());
            seen = reading.read();
        }
        return seen;
    }

    private interface Reading {
        String read() throws IOException, InterruptedException;
    }

    private String tmux(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("tmux", "-S", socket.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("TMUX");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new AssertionError("this test needs tmux on the PATH (.ci/run installs it)", e);
        }
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)).as("tmux %s ends", args[0]).isTrue();
        assertThat(process.exitValue()).as("tmux %s: %s", String.join(" ", args), output).isZero();
        return output;
    }

    private void tmuxQuietly(String... args) {
        try {
            List<String> command = new ArrayList<>(List.of("tmux", "-S", socket.toString()));
            command.addAll(List.of(args));
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            process.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        } catch (IOException e) {
            // No tmux, or no server left: nothing to clean up.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            n++;
        }
        return n;
    }

    /** One word for sh, whatever it holds. */
    private static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
