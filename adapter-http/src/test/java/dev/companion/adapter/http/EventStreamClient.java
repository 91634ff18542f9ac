package dev.companion.adapter.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Reads {@code /api/companion/events} with java.net.http on a thread of its own; the test takes
 * frames from a queue with a deadline, so a missing event fails the test instead of hanging it.
 */
final class EventStreamClient implements AutoCloseable {

    private static final Object END = new Object();

    final HttpResponse<InputStream> response;
    private final BlockingQueue<Object> frames = new LinkedBlockingQueue<>();
    private final Thread reader;

    private EventStreamClient(HttpResponse<InputStream> response) {
        this.response = response;
        this.reader = new Thread(this::read, "test-sse-reader");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    static EventStreamClient open(Fixture fixture, String pathAndQuery, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(fixture.uri(pathAndQuery)).GET()
                .header("Accept", "text/event-stream");
        if (headers.length > 0) {
            request.headers(headers);
        }
        HttpResponse<InputStream> response = fixture.client.sendAsync(request.build(),
                HttpResponse.BodyHandlers.ofInputStream()).get(10, TimeUnit.SECONDS);
        if (response.statusCode() != 200) {
            String body = new String(response.body().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            throw new AssertionError("the event stream answered " + response.statusCode() + ": " + body);
        }
        return new EventStreamClient(response);
    }

    /** The stream, or empty when the server refused it with 503 (too many streams open). */
    static java.util.Optional<EventStreamClient> openUnlessFull(Fixture fixture, String pathAndQuery) throws Exception {
        HttpResponse<InputStream> response = fixture.client.sendAsync(HttpRequest.newBuilder(fixture.uri(pathAndQuery))
                .GET().header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream())
                .get(10, TimeUnit.SECONDS);
        if (response.statusCode() == 503) {
            response.body().close();
            return java.util.Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw new AssertionError("the event stream answered " + response.statusCode());
        }
        return java.util.Optional.of(new EventStreamClient(response));
    }

    private void read() {
        SseFrames parser = new SseFrames(response.body());
        try {
            for (SseFrames.Frame frame = parser.next(); frame != null; frame = parser.next()) {
                frames.add(frame);
            }
        } catch (IOException e) {
            // the stream was closed by this test or by the server
        } finally {
            frames.add(END);
        }
    }

    /** The next frame of any kind (retry hint, comment, event). */
    SseFrames.Frame next() throws InterruptedException {
        Object next = frames.poll(10, TimeUnit.SECONDS);
        if (next == null) {
            throw new AssertionError("no frame within 10 seconds");
        }
        if (next == END) {
            frames.add(END);
            throw new AssertionError("the stream ended");
        }
        return (SseFrames.Frame) next;
    }

    /** The next frame that is an event (skipping the retry hint and keep-alive comments). */
    SseFrames.Frame nextEvent() throws InterruptedException {
        SseFrames.Frame frame = next();
        while (!frame.isEvent()) {
            frame = next();
        }
        return frame;
    }

    /** Events up to and including the first that matches. */
    List<SseFrames.Frame> eventsThrough(Predicate<SseFrames.Frame> last) throws InterruptedException {
        List<SseFrames.Frame> events = new ArrayList<>();
        SseFrames.Frame frame;
        do {
            frame = nextEvent();
            events.add(frame);
        } while (!last.test(frame));
        return events;
    }

    /** Waits (with a deadline) for the server to end the stream, returning the frames before the end. */
    List<SseFrames.Frame> untilEnd() throws InterruptedException {
        List<SseFrames.Frame> rest = new ArrayList<>();
        while (true) {
            Object next = frames.poll(30, TimeUnit.SECONDS);
            if (next == null) {
                throw new AssertionError("the stream did not end within 30 seconds");
            }
            if (next == END) {
                frames.add(END);
                return rest;
            }
            rest.add((SseFrames.Frame) next);
        }
    }

    @Override
    public void close() throws Exception {
        response.body().close();
        reader.join(Duration.ofSeconds(10).toMillis());
    }
}
