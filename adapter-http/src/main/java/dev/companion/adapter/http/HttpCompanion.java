package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.CancelCommand;
import dev.companion.core.CancelResult;
import dev.companion.core.Companion;
import dev.companion.core.ListWorkersUseCase;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.EventReplay;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.model.WorkerSnapshot;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Companion on a server, driven over its HTTP API so that a client written against the core's
 * ports (the CLI) does not care whether the Companion is in-process or remote. Failures come back
 * as the server's diagnostics; a server that does not answer is {@code server_unreachable}.
 */
final class HttpCompanion implements Companion, ListWorkersUseCase {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final AtomicInteger READERS = new AtomicInteger();

    private final URI base;
    private final Optional<String> authorization;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(10)).build();

    HttpCompanion(URI base, Optional<String> accessToken) {
        String scheme = base.getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || base.getHost() == null) {
            throw new IllegalArgumentException("The server address must be an http:// URL with a host.");
        }
        this.base = URI.create(base.toString().endsWith("/") ? base.toString() : base + "/");
        this.authorization = accessToken.map(token -> "Bearer " + token);
    }

    // ---- driving ports -------------------------------------------------------------------------

    @Override
    public SendResult send(SendMessageCommand command) {
        HttpResponse<String> response = post("api/companion/messages", Json.write(Map.of("content", command.content())));
        JsonNode body = json(response);
        switch (response.statusCode()) {
            case 202: {
                TranscriptItem item = WireReader.item(body.path("item"));
                return new SendResult.Accepted(new Turn(new TurnId(body.path("turn_id").asText()), item,
                        item.createdAt()), WireReader.diagnostics(body));
            }
            case 409:
                return new SendResult.Busy(new TurnId(body.path("running_turn_id").asText()),
                        WireReader.diagnostics(body));
            case 500:
                if (body != null && WireReader.state(body.path("state")) == CompanionState.ERROR
                        && !WireReader.diagnostics(body).isEmpty()
                        && WireReader.diagnostics(body).get(0).code() == DiagnosticCode.STORAGE_WRITE_FAILED) {
                    return new SendResult.Failed(WireReader.diagnostics(body));
                }
                throw failure(response, body);
            default:
                throw failure(response, body);
        }
    }

    @Override
    public Optional<TurnOutcome> awaitTurn(TurnId turn, Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        // Listen first, then look in the transcript: a turn that ends in between is seen either way.
        long cursor = latestCursor();
        EventFrameReader reader = openEvents(Optional.of(cursor));
        try {
            List<TranscriptItem> newest = transcript(TranscriptQuery.newest(TranscriptQuery.MAX_LIMIT)).items();
            Optional<TurnOutcome> stored = storedOutcome(turn, newest);
            if (stored.isPresent() || newest.stream().noneMatch(item -> item.turnId().equals(turn))) {
                return stored; // ended already, or not a turn of the newest page: nothing to wait for
            }
            while (true) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return Optional.empty();
                }
                Optional<EventFrameReader.Frame> frame;
                try {
                    frame = reader.next(remaining, TimeUnit.NANOSECONDS);
                } catch (IOException ended) {
                    reader.close();
                    reader = openEvents(Optional.of(cursor));
                    continue;
                }
                if (frame.isEmpty()) {
                    return Optional.empty();
                }
                Optional<CompanionEvent> event = decode(frame.get());
                if (event.isPresent()) {
                    cursor = event.get().cursor();
                    if (event.get() instanceof CompanionEvent.TurnEnded ended
                            && ended.outcome().turnId().equals(turn)) {
                        return Optional.of(ended.outcome());
                    }
                } else if ("reset".equals(frame.get().event())) {
                    Optional<TurnOutcome> after = storedOutcome(turn,
                            transcript(TranscriptQuery.newest(TranscriptQuery.MAX_LIMIT)).items());
                    if (after.isPresent()) {
                        return after;
                    }
                    cursor = Json.read(frame.get().data().orElse("{}")).path("latest_cursor").asLong(cursor);
                }
            }
        } finally {
            reader.close();
        }
    }

    @Override
    public CancelResult cancel(CancelCommand command) {
        Map<String, String> body = new LinkedHashMap<>();
        command.reason().ifPresent(reason -> body.put("reason", reason));
        command.turn().ifPresent(turn -> body.put("turn_id", turn.value()));
        HttpResponse<String> response = post("api/companion/cancel", Json.write(body));
        JsonNode json = json(response);
        if (response.statusCode() != 200 || json == null) {
            throw failure(response, json);
        }
        List<Diagnostic> diagnostics = WireReader.diagnostics(json);
        Diagnostic diagnostic = diagnostics.isEmpty()
                ? Diagnostic.info(DiagnosticCode.NOT_RUNNING, "No turn was running.") : diagnostics.get(0);
        CompanionState state = WireReader.state(json.path("state"));
        if (state == CompanionState.CANCELLED) {
            TurnId turn = new TurnId(json.path("turn_id").asText());
            return new CancelResult.Cancelled(new TurnOutcome.Cancelled(turn, WireReader.optionalItem(json.get("reply")),
                    diagnostics), diagnostic);
        }
        if (diagnostic.code() == DiagnosticCode.ALREADY_COMPLETED && json.hasNonNull("turn_id")) {
            TurnId turn = new TurnId(json.path("turn_id").asText());
            TurnOutcome outcome = WireReader.outcome(json.path("outcome").asText(), turn, CompanionState.ERROR,
                    WireReader.optionalItem(json.get("reply")), List.of());
            return new CancelResult.AlreadyCompleted(turn, outcome, diagnostic);
        }
        return new CancelResult.NotRunning(diagnostic);
    }

    @Override
    public CompanionStatus status() {
        return WireReader.status(expect(get("api/companion/status"), 200));
    }

    @Override
    public TranscriptPage transcript(TranscriptQuery query) {
        StringBuilder path = new StringBuilder("api/companion/transcript?limit=").append(query.limit());
        query.start().ifPresent(start -> path.append("&start=").append(start));
        return WireReader.page(expect(get(path.toString()), 200));
    }

    @Override
    public List<WorkerSnapshot> workers() {
        List<WorkerSnapshot> workers = new ArrayList<>();
        expect(get("api/workers"), 200).path("workers").forEach(w -> workers.add(WireReader.worker(w)));
        return workers;
    }

    @Override
    public long latestCursor() {
        return expect(get("api/companion/status"), 200).path("latest_cursor").asLong();
    }

    @Override
    public EventReplay eventsAfter(long cursor, int max) {
        long latest = latestCursor();
        List<CompanionEvent> events = new ArrayList<>();
        if (cursor == latest || max <= 0) {
            return new EventReplay.Events(events, latest);
        }
        try (EventFrameReader reader = openEvents(Optional.of(cursor))) {
            while (events.size() < max) {
                Optional<EventFrameReader.Frame> frame = reader.next(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                if (frame.isEmpty()) {
                    break;
                }
                if ("reset".equals(frame.get().event())) {
                    return new EventReplay.Reset(Json.read(frame.get().data().orElse("{}"))
                            .path("latest_cursor").asLong(latest));
                }
                Optional<CompanionEvent> event = decode(frame.get());
                event.ifPresent(events::add);
                if (event.isPresent() && event.get().cursor() >= latest) {
                    break;
                }
            }
        } catch (IOException e) {
            // the stream ended early: answer with what arrived
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new EventReplay.Events(events, Math.max(latest,
                events.isEmpty() ? latest : events.get(events.size() - 1).cursor()));
    }

    @Override
    public Subscription subscribe(long cursor, EventListener listener) {
        RemoteSubscription subscription = new RemoteSubscription(cursor, listener);
        subscription.start();
        return subscription;
    }

    /**
     * Follows the event stream on a thread of its own and reconnects, with the last id received,
     * whenever the connection ends (a dropped slow reader, a restart of the network), so the
     * listener sees every event once and in order, or a reset.
     */
    private final class RemoteSubscription implements Subscription {

        private final EventListener listener;
        private final Thread thread;
        private volatile boolean closed;
        private volatile EventFrameReader reader;
        private long cursor;

        RemoteSubscription(long cursor, EventListener listener) {
            this.cursor = cursor;
            this.listener = listener;
            this.thread = new Thread(this::follow, "companion-http-subscription-" + READERS.incrementAndGet());
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void follow() {
            while (!closed) {
                try (EventFrameReader events = openEvents(Optional.of(cursor))) {
                    reader = events;
                    if (closed) {
                        return;
                    }
                    while (!closed) {
                        Optional<EventFrameReader.Frame> frame = events.next(1, TimeUnit.MINUTES);
                        if (frame.isEmpty()) {
                            continue;
                        }
                        if ("reset".equals(frame.get().event())) {
                            long latest = Json.read(frame.get().data().orElse("{}")).path("latest_cursor").asLong(cursor);
                            cursor = latest;
                            listener.onReset(latest);
                            continue;
                        }
                        Optional<CompanionEvent> event = decode(frame.get());
                        if (event.isPresent()) {
                            cursor = event.get().cursor();
                            listener.onEvent(event.get());
                        }
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | CompanionException e) {
                    if (closed) {
                        return;
                    }
                    try {
                        Thread.sleep(EventStream.RETRY_MILLIS); // the server's own retry hint
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                }
            }
        }

        @Override
        public void close() {
            closed = true;
            EventFrameReader current = reader;
            if (current != null) {
                current.close();
            }
            thread.interrupt();
        }
    }

    // ---- HTTP ----------------------------------------------------------------------------------

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(REQUEST_TIMEOUT);
        authorization.ifPresent(value -> request.header("Authorization", value));
        return request;
    }

    private HttpResponse<String> get(String path) {
        return call(request(path).GET().build());
    }

    private HttpResponse<String> post(String path, String json) {
        return call(request(path).header("Content-Type", Responses.JSON_UTF8)
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build());
    }

    private HttpResponse<String> call(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw unreachable();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompanionException(CompanionState.ERROR, Diagnostic.error(DiagnosticCode.INTERNAL_ERROR,
                    "The request to the server was interrupted."));
        }
    }

    private EventFrameReader openEvents(Optional<Long> cursor) {
        HttpRequest.Builder request = request("api/companion/events").header("Accept", "text/event-stream");
        // the request timeout bounds the wait for the answer's head; the stream itself may last
        cursor.ifPresent(c -> request.header("Last-Event-ID", Long.toString(c)));
        HttpResponse<InputStream> response;
        try {
            response = http.send(request.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw unreachable();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompanionException(CompanionState.ERROR, Diagnostic.error(DiagnosticCode.INTERNAL_ERROR,
                    "The request to the server was interrupted."));
        }
        if (response.statusCode() != 200) {
            String body;
            try (InputStream in = response.body()) {
                body = new String(in.readNBytes(RequestBodies.MAX_BODY_BYTES), StandardCharsets.UTF_8);
            } catch (IOException e) {
                body = "";
            }
            throw failure(response.statusCode(), parse(body));
        }
        return new EventFrameReader(response.body(), "companion-http-events-" + READERS.incrementAndGet());
    }

    private Optional<CompanionEvent> decode(EventFrameReader.Frame frame) {
        if (frame.data().isEmpty()) {
            return Optional.empty();
        }
        return WireReader.event(frame.event(), Json.read(frame.data().get()));
    }

    /** The outcome of a turn whose reply is among these items. */
    private static Optional<TurnOutcome> storedOutcome(TurnId turn, List<TranscriptItem> items) {
        for (TranscriptItem item : items) {
            if (item.role() == Role.ASSISTANT && item.turnId().equals(turn)) {
                return Optional.of(switch (item.status()) {
                    case COMPLETED -> new TurnOutcome.Completed(turn, Optional.of(item), List.of());
                    case CANCELLED -> new TurnOutcome.Cancelled(turn, Optional.of(item), List.of());
                    case TIMEOUT -> new TurnOutcome.TimedOut(turn, Optional.of(item), List.of());
                    default -> new TurnOutcome.Failed(turn, CompanionState.ERROR, Optional.of(item), List.of());
                });
            }
        }
        return Optional.empty();
    }

    private JsonNode expect(HttpResponse<String> response, int status) {
        JsonNode body = json(response);
        if (response.statusCode() != status || body == null) {
            throw failure(response, body);
        }
        return body;
    }

    private static JsonNode json(HttpResponse<String> response) {
        return parse(response.body());
    }

    private static JsonNode parse(String body) {
        try {
            return body == null || body.isBlank() ? null : Json.read(body);
        } catch (Rejection notJson) {
            return null;
        }
    }

    private static CompanionException failure(HttpResponse<String> response, JsonNode body) {
        return failure(response.statusCode(), body);
    }

    /** The server's own diagnostic as an exception: rejected input as {@link InvalidRequestException}. */
    private static CompanionException failure(int status, JsonNode body) {
        if (body != null && !WireReader.diagnostics(body).isEmpty()) {
            Diagnostic diagnostic = WireReader.diagnostics(body).get(0);
            CompanionState state = WireReader.state(body.path("state"));
            if (state == CompanionState.REJECTED && (status == 400 || status == 413 || status == 415 || status == 422)) {
                return new InvalidRequestException(diagnostic);
            }
            return new CompanionException(state, diagnostic);
        }
        return new CompanionException(CompanionState.ERROR, Diagnostic.error(DiagnosticCode.INTERNAL_ERROR,
                "The server answered " + status + " without a diagnostic."));
    }

    private CompanionException unreachable() {
        return new CompanionException(CompanionState.ERROR, Diagnostic.error(DiagnosticCode.SERVER_UNREACHABLE,
                "No Companion server answers at " + base.getScheme() + "://" + base.getHost()
                        + (base.getPort() < 0 ? "" : ":" + base.getPort()) + "."));
    }
}
