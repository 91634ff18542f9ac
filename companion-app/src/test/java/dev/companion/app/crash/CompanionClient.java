package dev.companion.app.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The HTTP API as a client sees it: real java.net.http, the wire JSON read with Jackson. */
final class CompanionClient {

    static final ObjectMapper JSON = new ObjectMapper();

    /** A transcript item as it is on the wire; two sightings of one item must be equal in every field. */
    record Item(long sequence, String role, String content, String createdAt, String source, String status,
                String turnId) {

        static Item of(JsonNode node) {
            return new Item(node.get("sequence").asLong(), node.get("role").asText(), node.get("content").asText(),
                    node.get("created_at").asText(), node.get("source").asText(), node.get("status").asText(),
                    node.get("turn_id").asText());
        }
    }

    record Answer(int status, JsonNode body) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI base;

    CompanionClient(URI base) {
        this.base = base;
    }

    Answer send(String content, boolean waitForReply) throws IOException, InterruptedException {
        String body = JSON.writeValueAsString(JsonNodeFactory.instance.objectNode().put("content", content));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        base.resolve("/api/companion/messages" + (waitForReply ? "?wait=true" : "")))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), JSON.readTree(response.body()));
    }

    /** A POST of a JSON body to any route. */
    Answer post(String path, String json) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve(path))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), JSON.readTree(response.body()));
    }

    Answer get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), JSON.readTree(response.body()));
    }

    /** The whole transcript, page by page from the start, checking the pages join up. */
    List<Item> transcript() throws IOException, InterruptedException {
        return transcript("/api/companion");
    }

    /** The whole transcript of the conversation whose routes start at {@code conversation}, page by page. */
    List<Item> transcript(String conversation) throws IOException, InterruptedException {
        List<Item> items = new ArrayList<>();
        long start = 0;
        long total;
        while (true) {
            Answer page = get(conversation + "/transcript?start=" + start + "&limit=200");
            if (page.status() != 200) {
                throw new AssertionError("transcript page at " + start + " answered " + page);
            }
            total = page.body().get("total_items").asLong();
            for (JsonNode item : page.body().get("items")) {
                items.add(Item.of(item));
            }
            JsonNode next = page.body().get("next_start");
            if (next == null || next.isNull()) {
                break;
            }
            start = next.asLong();
        }
        if (items.size() != total) {
            throw new AssertionError("the pages hold " + items.size() + " items, total_items says " + total);
        }
        return items;
    }

    /**
     * Follows {@code GET /api/companion/events} on a thread of its own. Events arrive in a queue; the
     * stream's end (the server died or closed it) is an {@link #END} marker.
     */
    Events follow() {
        return follow("/api/companion/events");
    }

    /** Follows any event stream, e.g. {@code /api/events} for every conversation. */
    Events follow(String path) {
        return new Events(http, base.resolve(path));
    }

    static final JsonNode END = JsonNodeFactory.instance.objectNode().put("type", "end_of_stream");

    static final class Events implements AutoCloseable {
        private final LinkedBlockingQueue<JsonNode> queue = new LinkedBlockingQueue<>();
        private final CountDownLatch open = new CountDownLatch(1);
        private final CompletableFuture<HttpResponse<Stream<String>>> response;
        private volatile Stream<String> lines;

        private Events(HttpClient http, URI uri) {
            response = http.sendAsync(HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").build(),
                    HttpResponse.BodyHandlers.ofLines());
            Thread reader = new Thread(this::read, "sse-reader");
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try {
                lines = response.join().body();
                Iterator<String> it = lines.iterator();
                while (it.hasNext()) {
                    String line = it.next();
                    if (line.startsWith("retry:")) {
                        // Written after the stream's cursor was taken: every later event reaches us.
                        open.countDown();
                    } else if (line.startsWith("data: ")) {
                        queue.add(JSON.readTree(line.substring("data: ".length())));
                    }
                }
            } catch (RuntimeException | IOException ended) {
                // killed server, reset connection: the stream is over either way
            } finally {
                queue.add(END);
            }
        }

        /** Waits until the server has started this stream, so no later event is missed. */
        boolean awaitOpen(Duration atMost) throws InterruptedException {
            return open.await(atMost.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** The next event, {@link #END} after the stream ended, or empty when none came within {@code atMost}. */
        Optional<JsonNode> next(Duration atMost) throws InterruptedException {
            return Optional.ofNullable(queue.poll(atMost.toMillis(), TimeUnit.MILLISECONDS));
        }

        /** The next event if one is already there. */
        Optional<JsonNode> poll() {
            return Optional.ofNullable(queue.poll());
        }

        @Override
        public void close() {
            Stream<String> stream = lines;
            if (stream != null) {
                try {
                    stream.close();
                } catch (UncheckedIOException ignored) {
                    // already broken
                }
            }
            response.cancel(true);
        }
    }
}
