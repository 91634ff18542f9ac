package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients that stall or vanish: half-sent bodies must hold no worker thread and are closed by the
 * idle timeout, while live event streams and long waits are not; a client that goes away mid-body
 * is no server failure.
 */
class StalledClientsTest {

    private Fixture fixture = Fixture.start();

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void forty_half_sent_bodies_hold_no_worker_and_the_server_still_answers() throws Exception {
        // More stalled requests than the server has worker threads (16 on two cores), each one
        // certainly reading its body; then more on a route that has no use for a body.
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                stalled.add(halfSentBody("POST /api/companion/messages"));
            }
            for (int i = 0; i < 20; i++) {
                Socket socket = new Socket();
                stalled.add(socket);
                socket.connect(new InetSocketAddress("127.0.0.1", fixture.port), 10_000);
                socket.getOutputStream().write(("GET /api/companion/status HTTP/1.1\r\nHost: 127.0.0.1:" + fixture.port
                        + "\r\nContent-Length: 1000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
            }

            HttpResponse<String> status = fixture.client.sendAsync(HttpRequest.newBuilder(
                            fixture.uri("/api/companion/status")).GET().build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);

            assertThat(status.statusCode()).isEqualTo(200);
            assertThat(Fixture.json(status).get("state").asText()).isEqualTo("ready");
            fixture.model.script("still here");
            HttpResponse<String> send = fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"hi\"}");
            assertThat(send.statusCode()).isEqualTo(200);
            assertThat(Fixture.json(send).at("/reply/content").asText()).isEqualTo("still here");
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
    }

    @Test
    void a_stalled_body_is_closed_by_the_idle_timeout_while_a_live_event_stream_stays_open() throws Exception {
        fixture.close();
        fixture = Fixture.configured(builder -> builder.eventKeepAlive(Duration.ofMillis(500))
                .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2)));

        try (EventStreamClient stream = EventStreamClient.open(fixture, "/api/companion/events")) {
            assertThat(stream.next().retry()).isEqualTo(Integer.toString(EventStream.RETRY_MILLIS));
            // Opened after the stream's last event, so it would be idle for longer than the stream.
            try (Socket stalled = halfSentBody("POST /api/companion/messages")) {
                assertClosedByServer(stalled);
            }

            SseFrames.Frame frame = stream.next();
            assertThat(frame.isEvent()).as("only keep-alives while idle").isFalse();
            fixture.exchange("after the timeout", "still", " streaming");
            List<SseFrames.Frame> events = stream.eventsThrough(f -> "turn_completed".equals(f.event()));
            assertThat(events).extracting(SseFrames.Frame::event).contains("turn_started", "text_delta");
        }
    }

    @Test
    void a_live_event_stream_outlives_many_idle_timeouts_while_the_server_listens_for_its_close() throws Exception {
        fixture.close();
        fixture = Fixture.configured(builder -> builder.eventKeepAlive(Duration.ofMillis(100))
                .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofMillis(500)));

        try (EventStreamClient stream = EventStreamClient.open(fixture, "/api/companion/events")) {
            assertThat(stream.next().retry()).isEqualTo(Integer.toString(EventStream.RETRY_MILLIS));
            // The client sends nothing at all: 30 keep-alives take six idle timeouts or more.
            for (int i = 0; i < 30; i++) {
                assertThat(stream.next().comments()).containsExactly("keep-alive");
            }
            fixture.exchange("still there?", "yes");
            assertThat(stream.eventsThrough(f -> "turn_completed".equals(f.event())))
                    .extracting(SseFrames.Frame::event).contains("turn_started");
        }
    }

    @Test
    void a_wait_for_a_turn_longer_than_the_idle_timeout_still_gets_its_answer() throws Exception {
        fixture.close();
        fixture = Fixture.configured(builder -> builder.eventKeepAlive(Duration.ofMillis(500))
                .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2)));

        CompletableFuture<HttpResponse<String>> waiting = CompletableFuture.supplyAsync(
                () -> fixture.postJson("/api/companion/messages?wait=true", "{\"content\":\"slow one\"}"));
        fixture.model.awaitCall();
        // Proof that the idle timeout has passed for the waiting request too: a connection that
        // went quiet after it was closed.
        try (Socket stalled = halfSentBody("POST /api/companion/messages")) {
            assertClosedByServer(stalled);
        }
        fixture.model.emit("worth ");
        fixture.model.emit("the wait");
        fixture.model.finish();

        HttpResponse<String> response = waiting.get(30, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = Fixture.json(response);
        assertThat(body.get("outcome").asText()).isEqualTo("completed");
        assertThat(body.at("/reply/content").asText()).isEqualTo("worth the wait");
    }

    @Test
    void a_client_that_goes_away_mid_body_is_logged_as_one_quiet_line_not_as_a_failure() throws Exception {
        Logger adapter = Logger.getLogger("dev.companion.adapter.http");
        Level level = adapter.getLevel();
        List<LogRecord> records = new ArrayList<>();
        CountDownLatch logged = new CountDownLatch(1);
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                synchronized (records) {
                    records.add(record);
                }
                logged.countDown();
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        capture.setLevel(Level.ALL);
        adapter.setLevel(Level.ALL);
        adapter.addHandler(capture);
        try {
            Socket gone = halfSentBody("POST /api/companion/messages");
            gone.close();

            assertThat(logged.await(10, TimeUnit.SECONDS)).as("the server noticed the client leaving").isTrue();
            synchronized (records) {
                assertThat(records).allSatisfy(record -> {
                    assertThat(record.getLevel().intValue()).as(record.getMessage()).isLessThan(Level.INFO.intValue());
                    assertThat(record.getThrown()).isNull();
                });
            }
            assertThat(fixture.get("/api/companion/status").statusCode()).isEqualTo(200);
        } finally {
            adapter.removeHandler(capture);
            adapter.setLevel(level);
        }
    }

    /**
     * A request whose head says 1,000 bytes of body follow, and one byte of them. It waits for the
     * server's {@code 100 Continue}, sent when the server starts reading the body, so the request
     * has certainly reached its route.
     */
    private Socket halfSentBody(String requestLine) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", fixture.port), 10_000);
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write((requestLine + " HTTP/1.1\r\nHost: 127.0.0.1:" + fixture.port
                + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        assertThat(RawHttp.line(in)).startsWith("HTTP/1.1 100");
        while (!RawHttp.line(in).isEmpty()) {
            // the rest of the interim answer
        }
        socket.getOutputStream().write('{');
        socket.getOutputStream().flush();
        socket.setSoTimeout(30_000);
        return socket;
    }

    /** Waits (at most 30 seconds) for the server to close the connection, without an answer. */
    private static void assertClosedByServer(Socket socket) throws IOException {
        int read;
        try {
            read = socket.getInputStream().read();
        } catch (SocketException reset) {
            read = -1;
        }
        assertThat(read).as("the server closed the connection without answering").isEqualTo(-1);
    }
}
