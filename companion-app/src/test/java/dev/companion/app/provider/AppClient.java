package dev.companion.app.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * The app's HTTP API through a real {@link HttpClient}. Every answer (status, headers, body) and
 * every byte of every event stream is kept, so a test can search all of them for a secret.
 */
final class AppClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    /** One answer of the API. */
    record Answer(int status, HttpHeaders headers, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** One Server-Sent Event: its id, name and parsed data. */
    record Event(String id, String name, JsonNode data) {
        String type() {
            return data.path("type").asText();
        }

        String turnId() {
            return data.path("turn_id").asText();
        }
    }

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<Answer> answers = new CopyOnWriteArrayList<>();
    private final List<Feed> feeds = new CopyOnWriteArrayList<>();

    AppClient(URI base) {
        this.base = base;
    }

    Answer status() {
        return get("/api/companion/status");
    }

    Answer transcript() {
        return get("/api/companion/transcript");
    }

    /** The default conversation's whole transcript, {@code format} json or markdown. */
    Answer export(String format) {
        return get("/api/companion/transcript/export?format=" + format);
    }

    Answer workers() {
        return get("/api/workers");
    }

    /** Sends a message and waits for its turn to end ({@code ?wait=true}). */
    Answer sendAndWait(String content) {
        return post("/api/companion/messages?wait=true", JSON.createObjectNode().put("content", content).toString());
    }

    /** Sends a message and answers as soon as its turn has started. */
    Answer send(String content) {
        return post("/api/companion/messages", JSON.createObjectNode().put("content", content).toString());
    }

    Answer cancel(String reason) {
        return post("/api/companion/cancel", JSON.createObjectNode().put("reason", reason).toString());
    }

    /** The newest transcript item of this role. */
    JsonNode lastItem(String role) {
        JsonNode items = transcript().json().path("items");
        for (int i = items.size() - 1; i >= 0; i--) {
            if (items.get(i).path("role").asText().equals(role)) {
                return items.get(i);
            }
        }
        throw new AssertionError("no " + role + " item in the transcript");
    }

    List<Answer> answers() {
        return List.copyOf(answers);
    }

    List<Feed> feeds() {
        return List.copyOf(feeds);
    }

    private Answer get(String path) {
        return exchange(HttpRequest.newBuilder(base.resolve(path)).GET().build());
    }

    private Answer post(String path, String json) {
        return exchange(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    private Answer exchange(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            Answer answer = new Answer(response.statusCode(), response.headers(), response.body());
            answers.add(answer);
            return answer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Opens {@code GET /api/companion/events}. It returns once the headers arrived, and the server
     * takes its cursor before it answers, so every event after this call is in the feed.
     */
    Feed follow() {
        try {
            HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(base.resolve("/api/companion/events"))
                    .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                throw new AssertionError("the event stream answered " + response.statusCode());
            }
            Feed feed = new Feed(response);
            feeds.add(feed);
            return feed;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        feeds.forEach(Feed::close);
    }

    /** One open event stream, read on its own thread. */
    static final class Feed implements AutoCloseable {

        private final HttpResponse<InputStream> response;
        private final StringBuilder raw = new StringBuilder();
        private final List<Event> events = new ArrayList<>();

        Feed(HttpResponse<InputStream> response) {
            this.response = response;
            Thread reader = new Thread(this::read, "e2e-event-feed");
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String id = null;
                String name = null;
                StringBuilder data = new StringBuilder();
                String line;
                while ((line = lines.readLine()) != null) {
                    synchronized (this) {
                        raw.append(line).append('\n');
                    }
                    if (line.isEmpty()) {
                        if (data.length() > 0) {
                            Event event = new Event(id, name, JSON.readTree(data.toString()));
                            synchronized (this) {
                                events.add(event);
                                notifyAll();
                            }
                        }
                        id = null;
                        name = null;
                        data.setLength(0);
                    } else if (line.startsWith("id: ")) {
                        id = line.substring(4);
                    } else if (line.startsWith("event: ")) {
                        name = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        data.append(line.substring(6));
                    }
                }
            } catch (IOException e) {
                // closed by the test, or the server stopped
            }
        }

        HttpHeaders headers() {
            return response.headers();
        }

        synchronized String raw() {
            return raw.toString();
        }

        synchronized List<Event> events() {
            return List.copyOf(events);
        }

        /** Waits (up to a deadline) for the first event that matches. */
        synchronized Event await(Predicate<Event> wanted, String what) throws InterruptedException {
            Instant until = Instant.now().plus(DEADLINE);
            while (true) {
                Optional<Event> found = events.stream().filter(wanted).findFirst();
                if (found.isPresent()) {
                    return found.get();
                }
                long left = Duration.between(Instant.now(), until).toMillis();
                if (left <= 0) {
                    throw new AssertionError("no " + what + " event within " + DEADLINE + "; saw " + events);
                }
                wait(left);
            }
        }

        /** How the turn ended: its turn_completed, turn_failed, turn_cancelled or turn_timed_out event. */
        Event awaitTurnEnd(String turnId) throws InterruptedException {
            return await(e -> e.turnId().equals(turnId) && e.type().startsWith("turn_")
                    && !e.type().equals("turn_started"), "turn end for " + turnId);
        }

        /** Waits until the turn has streamed at least {@code count} pieces of text. */
        void awaitDeltas(String turnId, int count) throws InterruptedException {
            await(e -> deltas(turnId).size() >= count, count + " text_delta");
        }

        /** Waits until this stream has carried at least {@code count} pieces of text (of any turn). */
        void awaitAnyDeltas(int count) throws InterruptedException {
            await(e -> events.stream().filter(x -> x.type().equals("text_delta")).count() >= count,
                    count + " text_delta");
        }

        /** The turn's text_delta texts, in the order they arrived. */
        synchronized List<String> deltas(String turnId) {
            return events.stream().filter(e -> e.type().equals("text_delta") && e.turnId().equals(turnId))
                    .map(e -> e.data().path("text").asText()).toList();
        }

        @Override
        public void close() {
            try {
                response.body().close();
            } catch (IOException e) {
                // already closed
            }
        }
    }
}
