package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A Server-Sent Events parser as the HTML standard describes it, over any byte stream. */
final class SseFrames {

    /** One dispatched block: its fields as sent (a field sent twice is kept twice) and its comments. */
    record Frame(String id, String event, List<String> data, String retry, List<String> comments) {
        boolean isEvent() {
            return !data.isEmpty();
        }

        String dataLine() {
            if (data.size() != 1) {
                throw new AssertionError("a frame with " + data.size() + " data lines: " + data);
            }
            return data.get(0);
        }

        JsonNode json() {
            return Json.read(dataLine());
        }

        long cursor() {
            return Long.parseLong(id);
        }
    }

    private final InputStream in;

    SseFrames(InputStream in) {
        this.in = in;
    }

    /** The next frame, or null at the end of the stream (a frame cut off by the end is not dispatched). */
    Frame next() throws IOException {
        String id = null;
        String event = null;
        String retry = null;
        List<String> data = new ArrayList<>();
        List<String> comments = new ArrayList<>();
        boolean any = false;
        while (true) {
            String line = line();
            if (line == null) {
                return null;
            }
            if (line.isEmpty()) {
                if (any) {
                    return new Frame(id, event, data, retry, comments);
                }
                continue;
            }
            any = true;
            if (line.startsWith(":")) {
                comments.add(line.substring(1).trim());
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
                case "data" -> data.add(value);
                case "retry" -> retry = value;
                default -> comments.add("unknown field " + field);
            }
        }
    }

    /** A line ended by CR, LF or CRLF, as the standard splits them; null at the end of the stream. */
    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b == -1) {
                return null;
            }
            if (b == '\n' && afterCr) {
                afterCr = false;
                continue; // the LF of a CRLF
            }
            afterCr = b == '\r';
            if (b == '\n' || b == '\r') {
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(b);
        }
    }

    private boolean afterCr;
}
