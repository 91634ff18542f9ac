package dev.companion.adapter.cli;

import picocli.CommandLine;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code companion chat} running in-process on its own thread, as a person would use it: lines
 * typed one at a time, Ctrl-C pressed through the {@link Interrupts} seam, and waits on what it
 * printed (each with a deadline, woken by the writes themselves rather than by sleeping).
 */
final class LiveChat implements AutoCloseable {

    static final Duration DEADLINE = Duration.ofSeconds(10);

    final Keyboard keyboard = new Keyboard();
    final Screen out = new Screen();
    final Screen err = new Screen();
    final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final Thread thread;

    LiveChat(CompanionCommandLine.Launcher launcher, String... options) {
        CommandLine commandLine = Commands.build(launcher, "1.2.3", keyboard.input, keyboard);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        String[] args = Stream.concat(Stream.of("chat"), Stream.of(options)).toArray(String[]::new);
        thread = new Thread(() -> {
            try {
                exit.complete(commandLine.execute(args));
            } catch (Throwable t) {
                exit.completeExceptionally(t);
            }
        }, "live-chat");
        thread.start();
    }

    void type(String line) {
        keyboard.type(line + "\n");
    }

    void pressCtrlD() {
        keyboard.endOfInput();
    }

    /** Presses Ctrl-C; the chat must be listening (it is once it has shown its first prompt). */
    void pressCtrlC() {
        Runnable listener = keyboard.listener;
        assertThat(listener).as("chat listens for Ctrl-C").isNotNull();
        listener.run();
    }

    int awaitExit() throws InterruptedException, ExecutionException, TimeoutException {
        return exit.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        keyboard.endOfInput();
        thread.join(DEADLINE.toMillis());
    }

    /** Standard input fed line by line, and the Ctrl-C key. */
    static final class Keyboard implements Interrupts {
        private final BlockingQueue<Integer> bytes = new LinkedBlockingQueue<>();
        volatile Runnable listener;
        volatile int listens;

        final InputStream input = new InputStream() {
            @Override
            public int read() throws java.io.IOException {
                try {
                    int b = bytes.take();
                    if (b < 0) {
                        bytes.add(b); // the end stays the end
                    }
                    return b;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException();
                }
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws java.io.IOException {
                if (length == 0) {
                    return 0;
                }
                int first = read();
                if (first < 0) {
                    return -1;
                }
                buffer[offset] = (byte) first;
                int n = 1;
                // Hand over what was typed so far without waiting for more, as a terminal does.
                while (n < length && bytes.peek() != null && bytes.peek() >= 0) {
                    buffer[offset + n++] = (byte) (int) bytes.poll();
                }
                return n;
            }
        };

        void type(String text) {
            for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
                bytes.add(b & 0xff);
            }
        }

        void endOfInput() {
            bytes.add(-1);
        }

        @Override
        public Handle listen(Runnable onInterrupt) {
            listener = onInterrupt;
            listens++;
            return () -> listener = null;
        }
    }

    /** What was printed, and a way to wait until something is. */
    static final class Screen extends Writer {
        private final StringBuilder text = new StringBuilder();

        @Override
        public synchronized void write(char[] chars, int offset, int length) {
            text.append(chars, offset, length);
            notifyAll();
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }

        synchronized String text() {
            return text.toString();
        }

        /** Waits until {@code expected} is printed at or after {@code from}; returns the index just past it. */
        synchronized int await(String expected, int from) throws InterruptedException {
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            int at;
            while ((at = text.indexOf(expected, from)) < 0) {
                long left = deadline - System.nanoTime();
                assertThat(left).as("waited for %s after index %d in:%n%s", expected, from, text).isPositive();
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return at + expected.length();
        }

        int await(String expected) throws InterruptedException {
            return await(expected, 0);
        }

        /** How many times {@code expected} was printed. */
        synchronized int count(String expected) {
            int n = 0;
            for (int at = text.indexOf(expected); at >= 0; at = text.indexOf(expected, at + 1)) {
                n++;
            }
            return n;
        }
    }
}
