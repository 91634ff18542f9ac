package dev.companion.adapter.llm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads server-sent events as the HTML standard defines them: lines end in LF, CRLF or CR; a line
 * starting with a colon is a comment (keep-alive); {@code data:} lines of one event are joined with
 * LF; a blank line ends the event. Reads byte by byte from a buffered stream so that a UTF-8
 * character is never split across a line boundary.
 *
 * <p>One departure from the standard, for llama.cpp's server (builds through 2025), which reports a
 * failure mid-stream as a field of its own, {@code error: {json}}: such a line is read as the data of
 * an event named {@code error}, where the standard would drop it and the failure would go unseen.
 */
final class SseReader {

    private static final int MAX_LINE_BYTES = 1 << 20;

    private final InputStream in;
    private final byte[] buffer = new byte[8192];
    private int position;
    private int limit;
    private boolean pendingCr;
    private boolean first = true;

    SseReader(InputStream in) {
        this.in = in;
    }

    /** The next event, or empty at the end of the stream. */
    Optional<SseEvent> next() throws IOException {
        String name = null;
        StringBuilder data = null;
        while (true) {
            String line = readLine();
            if (line == null) {
                // A last event without its blank line: lenient, as several local servers end so.
                return data == null ? Optional.empty() : Optional.of(new SseEvent(name == null ? "message" : name, data.toString()));
            }
            if (line.isEmpty()) {
                if (data != null) {
                    return Optional.of(new SseEvent(name == null ? "message" : name, data.toString()));
                }
                name = null;
                continue;
            }
            if (line.charAt(0) == ':') {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "event" -> name = value;
                case "data", "error" -> {
                    if (field.equals("error")) {
                        name = "error";
                    }
                    if (data == null) {
                        data = new StringBuilder(value);
                    } else {
                        data.append('\n').append(value);
                    }
                }
                default -> {
                    // id, retry and unknown fields do not matter for a one-shot reply stream.
                }
            }
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            int b = read();
            if (b < 0) {
                return line.size() == 0 ? null : decode(line);
            }
            if (pendingCr) {
                pendingCr = false;
                if (b == '\n') {
                    continue;
                }
            }
            if (b == '\n') {
                return decode(line);
            }
            if (b == '\r') {
                pendingCr = true;
                return decode(line);
            }
            if (line.size() >= MAX_LINE_BYTES) {
                throw new IOException("an event line is too long");
            }
            line.write(b);
        }
    }

    private String decode(ByteArrayOutputStream line) {
        String text = line.toString(StandardCharsets.UTF_8);
        if (first) {
            first = false;
            if (text.startsWith("\uFEFF")) {
                text = text.substring(1);
            }
        }
        return text;
    }

    private int read() throws IOException {
        if (position == limit) {
            limit = in.read(buffer, 0, buffer.length);
            position = 0;
            if (limit <= 0) {
                limit = 0;
                return -1;
            }
        }
        return buffer[position++] & 0xff;
    }
}
