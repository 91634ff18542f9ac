package dev.companion.app.crash;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code companion serve} as a separate JVM on this test's class path, so a kill is a real process
 * death: no shutdown hook, no finally, nothing flushed that was not already on its way to the disk.
 */
final class ServerProcess implements AutoCloseable {

    static final String CONSOLE_LINE = "Companion console: ";
    private static final String END_OF_OUTPUT = "\u0000end";

    private final Process process;
    private final long startedNanos = System.nanoTime();
    private final LinkedBlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    private final List<String> stdoutLines = new CopyOnWriteArrayList<>();
    private final List<String> stderrLines = new CopyOnWriteArrayList<>();
    private final Thread stdoutReader;
    private final Thread stderrReader;

    private ServerProcess(Process process) {
        this.process = process;
        this.stdoutReader = pump(process.getInputStream(), line -> {
            stdoutLines.add(line);
            stdout.add(line);
        }, () -> stdout.add(END_OF_OUTPUT), "stdout");
        this.stderrReader = pump(process.getErrorStream(), stderrLines::add, () -> { }, "stderr");
    }

    /** Starts {@code serve --port 0 --data-dir DIR --provider offline} with the offline model's pause given. */
    static ServerProcess serve(Path dataDir, Duration offlinePause) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaExecutable(), "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.companion.app.Main",
                "serve", "--port", "0", "--data-dir", dataDir.toString(), "--provider", "offline"));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("COMPANION_OFFLINE_PAUSE_MS", Long.toString(offlinePause.toMillis()));
        // Keys in the test runner's environment must not turn the offline run into a live one.
        builder.environment().remove("OPENAI_API_KEY");
        builder.environment().remove("ANTHROPIC_API_KEY");
        return new ServerProcess(builder.start());
    }

    /**
     * Starts {@code serve --port 0 --store URL --turn-lease LEASE --provider offline}, the password in
     * {@code PGPASSWORD}, with the offline model's pause given: one of several nodes on one database.
     */
    static ServerProcess serveOnStore(String url, String password, Duration offlinePause, String turnLease)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(javaExecutable(), "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.companion.app.Main",
                "serve", "--port", "0", "--store", url, "--turn-lease", turnLease, "--provider", "offline"));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("COMPANION_OFFLINE_PAUSE_MS", Long.toString(offlinePause.toMillis()));
        builder.environment().put("PGPASSWORD", password);
        builder.environment().remove("OPENAI_API_KEY");
        builder.environment().remove("ANTHROPIC_API_KEY");
        return new ServerProcess(builder.start());
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static Thread pump(InputStream stream, java.util.function.Consumer<String> lines, Runnable atEnd,
                               String name) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    lines.accept(line);
                }
            } catch (IOException ended) {
                // the process is gone
            } finally {
                atEnd.run();
            }
        }, "server-" + name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /**
     * The base URI from the console line the server prints once it listens, or empty if the process
     * ended (or closed its output) first. Fails when neither happens within {@code atMost}.
     */
    Optional<URI> awaitBaseUri(Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? stdout.poll(left, TimeUnit.NANOSECONDS) : null;
            if (line == null) {
                throw new AssertionError("the server printed no console line within " + atMost + "; " + output());
            }
            if (line.equals(END_OF_OUTPUT)) {
                return Optional.empty();
            }
            if (line.startsWith(CONSOLE_LINE)) {
                URI console = URI.create(line.substring(CONSOLE_LINE.length()).strip());
                if (console.getPort() <= 0) {
                    throw new AssertionError("the console line names no real port: " + line);
                }
                return Optional.of(console.resolve("/"));
            }
        }
    }

    /** Milliseconds since the process was launched. */
    long ageMillis() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    }

    /** SIGKILL on Linux: the process gets no chance to do anything. */
    void kill() {
        process.destroyForcibly();
    }

    /** SIGTERM: shutdown hooks run, as for Ctrl-C. */
    void stop() {
        process.destroy();
    }

    /** The exit code, waiting at most {@code atMost}; fails if the process is still running then. */
    int awaitExit(Duration atMost) throws InterruptedException {
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the server did not exit within " + atMost + "; " + output());
        }
        // The pumps end once the pipes close; the output is then complete.
        stdoutReader.join(atMost.toMillis());
        stderrReader.join(atMost.toMillis());
        return process.exitValue();
    }

    List<String> stdoutLines() {
        return List.copyOf(stdoutLines);
    }

    List<String> stderrLines() {
        return List.copyOf(stderrLines);
    }

    String output() {
        return "stdout " + stdoutLines + ", stderr " + stderrLines;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the server process " + process.pid() + " would not die");
        }
    }
}
