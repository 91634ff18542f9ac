package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The default limit of open event streams, all of them open at once: every stream gets each event
 * in order, a stalled reader among them is dropped while the others go on, and one stream more is
 * refused. The server runs in a process of its own: 10,000 streams are 20,000 sockets on loopback,
 * more than one process may open here.
 */
class TenThousandStreamsTest {

    private static final int STREAMS = CompanionHttpServer.DEFAULT_MAX_EVENT_STREAMS;
    private static final int QUEUE = 16;

    private Process server;
    private Writer commands;
    private int port;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeEach
    void startServer() throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        server = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                StreamServerProcess.class.getName(), Integer.toString(QUEUE))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        commands = new java.io.OutputStreamWriter(server.getOutputStream(), StandardCharsets.UTF_8);
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertThat(line).as("the server process's first line").startsWith("port ");
        port = Integer.parseInt(line.substring(5));
    }

    @AfterEach
    void stopServer() throws Exception {
        commands.close();
        if (!server.waitFor(30, TimeUnit.SECONDS)) {
            server.destroyForcibly().waitFor();
        }
    }

    @Test
    void ten_thousand_streams_each_get_every_event_in_order_a_stalled_one_is_dropped_one_more_is_refused()
            throws Exception {
        try (Socket stalled = new Socket(); ManyStreams streams = new ManyStreams(port)) {
            // One reader that reads nothing after its head, following every conversation.
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            stalled.setSoTimeout(60_000);
            OutputStream request = stalled.getOutputStream();
            request.write(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            request.flush();
            InputStream in = stalled.getInputStream();
            assertThat(RawHttp.line(in)).startsWith("HTTP/1.1 200");
            while (!RawHttp.line(in).isEmpty()) {
                // headers
            }

            // The rest of the limit, following the default conversation.
            List<ManyStreams.Stream> readers = streams.open(STREAMS - 1, "/api/companion/events", Duration.ofSeconds(90));
            assertThat(readers).allSatisfy(stream -> {
                assertThat(stream.status).isEqualTo(200);
                assertThat(stream.frames.get(0).retry()).isEqualTo(Integer.toString(EventStream.RETRY_MILLIS));
            });
            System.out.printf("%d idle event streams open: server process VmRSS %d KiB%n", STREAMS,
                    residentKib(server.pid()));

            HttpResponse<String> refused = get("/api/companion/events");
            assertThat(refused.statusCode()).as("stream %d", STREAMS + 1).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(Json.read(refused.body()).at("/diagnostics/0/code").asText()).isEqualTo("event_streams_full");

            // A long reply in another conversation: only the stalled reader follows it, and it
            // falls behind by far more than its queue holds once the socket buffers are full.
            String other = Json.read(post("/api/conversations", "{\"title\":\"elsewhere\"}").body())
                    .at("/conversation/id").asText();
            command("script 400 32768");
            HttpResponse<String> longReply = post("/api/conversations/" + other + "/messages?wait=true",
                    "{\"content\":\"a long one\"}");
            assertThat(longReply.statusCode()).as(longReply.body()).isEqualTo(200);
            assertThat(Json.read(longReply.body()).get("outcome").asText())
                    .as("the stalled reader did not hold the turn up").isEqualTo("completed");

            // The stalled reader was cut off: its stream ends before the reply's end, and its
            // place is free again.
            SseFrames frames = new SseFrames(new java.io.BufferedInputStream(in));
            List<SseFrames.Frame> received = new ArrayList<>();
            for (SseFrames.Frame frame = frames.next(); frame != null; frame = frames.next()) {
                received.add(frame);
            }
            assertThat(received).extracting(SseFrames.Frame::event).doesNotContain("turn_completed");
            received.stream().filter(frame -> "dropped".equals(frame.event())).findFirst().ifPresent(dropped ->
                    assertThat(dropped.json().at("/diagnostics/0/code").asText()).isEqualTo("events_dropped"));
            List<ManyStreams.Stream> newcomer = streams.open(1, "/api/companion/events", Duration.ofSeconds(30));
            assertThat(newcomer.get(0).status).as("the dropped reader's place is taken again").isEqualTo(200);

            // A reply in the default conversation reaches every one of the 10,000 streams, in order.
            String[] pieces = StreamServerProcess.pieces(5, 8);
            command("script 5 8");
            long sent = System.nanoTime();
            assertThat(post("/api/companion/messages", "{\"content\":\"to everyone\"}").statusCode()).isEqualTo(202);
            boolean all = streams.readUntil(stream -> stream.ended || stream.events().size() >= 9, Duration.ofSeconds(60));
            System.out.printf("a reply of %d pieces reached %d streams in %d ms%n", pieces.length,
                    streams.streams.size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent));
            assertThat(all).as("every stream got the whole reply in time").isTrue();
            for (ManyStreams.Stream stream : streams.streams) {
                assertThat(stream.ended).as("a healthy stream was closed").isFalse();
                List<SseFrames.Frame> events = stream.events();
                assertThat(events).extracting(SseFrames.Frame::event).containsExactly("state_changed", "turn_started",
                        "text_delta", "text_delta", "text_delta", "text_delta", "text_delta", "turn_completed", "state_changed");
                assertThat(events.stream().filter(event -> "text_delta".equals(event.event()))
                        .map(event -> event.json().get("text").asText()).collect(Collectors.joining()))
                        .isEqualTo(String.join("", pieces));
                for (int i = 1; i < events.size(); i++) {
                    assertThat(events.get(i).cursor()).isGreaterThan(events.get(i - 1).cursor());
                }
            }
            JsonNode completed = streams.streams.get(0).events().get(7).json();
            assertThat(completed.at("/reply/content").asText()).isEqualTo(String.join("", pieces));
            assertThat(streams.streams.get(0).events().get(8).json().get("to").asText()).isEqualTo("ready");
        }
    }

    private void command(String line) throws IOException {
        commands.write(line + "\n");
        commands.flush();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET()
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> post(String path, String json) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(90))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** The resident set of a process, from {@code /proc/<pid>/status}; -1 where there is none. */
    static long residentKib(long pid) throws IOException {
        Path status = Path.of("/proc", Long.toString(pid), "status");
        if (!Files.exists(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
