package dev.companion.adapter.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads Server-Sent Events frames from a stream on a thread of its own, so that a caller can wait
 * for the next frame with a deadline. Parses as the HTML standard says (CR, LF or CRLF end a line;
 * a blank line dispatches; lines starting with ':' are comments).
 */
final class EventFrameReader implements AutoCloseable {

    /** One dispatched frame; {@code data} is the data lines joined with LF, empty when there were none. */
    record Frame(Optional<String> id, String event, Optional<String> data) {
    }

    private static final Object END = new Object();

    private final InputStream in;
    private final BlockingQueue<Object> frames = new LinkedBlockingQueue<>();
    private final Thread thread;
    private boolean afterCr;

    EventFrameReader(InputStream in, String threadName) {
        this.in = in;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** The next frame with data, empty when none came in time; throws once the stream has ended. */
    Optional<Frame> next(long timeout, TimeUnit unit) throws InterruptedException, IOException {
        Object next = frames.poll(timeout, unit);
        if (next == END) {
            frames.add(END);
            throw new IOException("the event stream ended");
        }
        return Optional.ofNullable((Frame) next);
    }

    private void run() {
        try {
            String id = null;
            String event = null;
            StringBuilder data = null;
            for (String line = line(); line != null; line = line()) {
                if (line.isEmpty()) {
                    if (data != null) {
                        frames.add(new Frame(Optional.ofNullable(id), event == null ? "message" : event,
                                Optional.of(data.toString())));
                    }
                    id = null;
                    event = null;
                    data = null;
                    continue;
                }
                if (line.startsWith(":")) {
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                switch (field) {
                    case "id" -> id = value;
                    case "event" -> event = value;
                    case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                    default -> {
                        // retry and unknown fields carry nothing a client of the ports needs
                    }
                }
            }
        } catch (IOException e) {
            // closed by this side or cut by the server: either way the stream has ended
        } finally {
            frames.add(END);
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b == -1) {
                return null;
            }
            if (b == '\n' && afterCr) {
                afterCr = false;
                continue;
            }
            afterCr = b == '\r';
            if (b == '\n' || b == '\r') {
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(b);
        }
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            // already closed
        }
        thread.interrupt();
    }
}
