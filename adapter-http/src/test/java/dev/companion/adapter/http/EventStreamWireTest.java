package dev.companion.adapter.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bytes of an event stream exactly as clients (the console, {@code RemoteEvents}, curl) have
 * always read them: the head, no chunking, the {@code retry:} hint, frames and keep-alives.
 */
class EventStreamWireTest {

    private Fixture fixture = Fixture.configured(builder -> builder.eventKeepAlive(Duration.ofMillis(300)));

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void the_stream_is_byte_for_byte_the_wire_format_clients_read() throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", fixture.port), 10_000);
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("GET /api/companion/events HTTP/1.1\r\nHost: 127.0.0.1:" + fixture.port
                    + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();

            String head = readThrough(in, "\r\n\r\n");
            String retry = readThrough(in, "\n\n");
            String keepAlive = readThrough(in, "\n\n");
            long before = fixture.runtime.companion().latestCursor();
            fixture.model.script("Hi", " there\n");
            fixture.sendMessage("hello");
            String started = nextEvent(in);
            String turnStarted = nextEvent(in);
            String firstDelta = nextEvent(in);
            String secondDelta = nextEvent(in);

            // No Content-Length and no chunking: the stream is the rest of the connection.
            assertThat(head.replaceAll("(?m)^Date: .*\r\n", "")).isEqualTo("HTTP/1.1 200 OK\r\n"
                    + "Connection: close\r\n"
                    + "Cache-Control: no-store\r\n"
                    + "X-Accel-Buffering: no\r\n"
                    + "X-Content-Type-Options: nosniff\r\n"
                    + "Referrer-Policy: no-referrer\r\n"
                    + "Content-Type: text/event-stream; charset=utf-8\r\n"
                    + "Content-Security-Policy: " + SecurityHeaders.CONTENT_SECURITY_POLICY + "\r\n"
                    + "\r\n");
            assertThat(retry).isEqualTo("retry: 2000\n\n");
            assertThat(keepAlive).isEqualTo(": keep-alive\n\n");
            assertThat(started).matches("id: (\\d+)\nevent: state_changed\ndata: \\{\"cursor\":\\1,"
                    + "\"type\":\"state_changed\",[^\r\n]*\\}\n\n");
            assertThat(Long.parseLong(started.substring(4, started.indexOf('\n')))).isGreaterThan(before);
            assertThat(turnStarted).matches("id: (\\d+)\nevent: turn_started\ndata: \\{\"cursor\":\\1,[^\r\n]*\\}\n\n");
            assertThat(firstDelta).matches("id: (\\d+)\nevent: text_delta\ndata: \\{\"cursor\":\\1,"
                    + "\"type\":\"text_delta\",[^\r\n]*,\"text\":\"Hi\"\\}\n\n");
            assertThat(secondDelta).matches("id: (\\d+)\nevent: text_delta\ndata: \\{\"cursor\":\\1,"
                    + "[^\r\n]*,\"text\":\" there\\\\n\"\\}\n\n");
        }
    }

    /** The next frame that is not a keep-alive: more of them may come while the turn starts. */
    private static String nextEvent(InputStream in) throws IOException {
        String frame = readThrough(in, "\n\n");
        while (frame.equals(": keep-alive\n\n")) {
            frame = readThrough(in, "\n\n");
        }
        return frame;
    }

    private static String readThrough(InputStream in, String end) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        while (!bytes.toString(StandardCharsets.UTF_8).endsWith(end)) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("the stream ended after " + bytes.toString(StandardCharsets.UTF_8));
            }
            bytes.write(b);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
