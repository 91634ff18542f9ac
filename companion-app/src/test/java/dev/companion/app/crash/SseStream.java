package dev.companion.app.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Server-Sent Events reader that can resume with {@code Last-Event-ID}: each event's data as JSON
 * (its {@code type} taken from the {@code event:} line when the data has none), {@link CompanionClient#END}
 * once the stream ends.
 */
final class SseStream implements AutoCloseable {
    final LinkedBlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    final CountDownLatch open = new CountDownLatch(1);
    private final CompletableFuture<HttpResponse<InputStream>> response;

    private final Duration deadline;

    SseStream(HttpClient http, URI uri, Optional<String> lastEventId, Duration deadline) {
        this.deadline = deadline;
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
        lastEventId.ifPresent(id -> request.header("Last-Event-ID", id));
        response = http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        Thread reader = new Thread(this::read, "sse-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.join().body(),
                StandardCharsets.UTF_8))) {
            String event = null;
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.startsWith("retry:")) {
                    open.countDown();
                } else if (line.startsWith("event: ")) {
                    event = line.substring("event: ".length());
                } else if (line.startsWith("data: ")) {
                    JsonNode data = CompanionClient.JSON.readTree(line.substring("data: ".length()));
                    if (!data.has("type") && event != null) {
                        data = ((ObjectNode) data).put("type", event);
                    }
                    events.add(data);
                }
            }
        } catch (IOException | RuntimeException ended) {
            // the server went away, or the test closed the stream
        } finally {
            open.countDown();
            events.add(CompanionClient.END);
        }
    }

    JsonNode nextAny() throws InterruptedException {
        JsonNode event = events.poll(deadline.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(event).as("an event before the deadline").isNotNull();
        assertThat(event).as("the stream is still open").isNotSameAs(CompanionClient.END);
        return event;
    }

    /** The next event of that type (any when null), skipping others. */
    JsonNode next(String type) throws InterruptedException {
        long until = System.nanoTime() + deadline.toNanos();
        while (true) {
            JsonNode event = events.poll(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertThat(event).as("a %s event before the deadline", type).isNotNull();
            assertThat(event).as("the stream ended before a %s event", type).isNotSameAs(CompanionClient.END);
            if (type == null || type.equals(event.path("type").asText())) {
                return event;
            }
        }
    }

    @Override
    public void close() {
        response.thenAccept(r -> {
            try {
                r.body().close();
            } catch (IOException ignored) {
                // already closed
            }
        });
        response.cancel(true);
    }
}
