package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.CancelCommand;
import dev.companion.core.CancelResult;
import dev.companion.core.Companion;
import dev.companion.core.EditMessageCommand;
import dev.companion.core.ListWorkersUseCase;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.EventReplay;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.model.WorkerSnapshot;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One conversation on a server, driven over its HTTP API so that a client written against the
 * core's ports (the CLI) does not care whether the Companion is in-process or remote. The default
 * conversation is reached at {@code /api/companion/*}, as a server of an earlier release has it;
 * any other at {@code /api/conversations/{id}/*}. Failures come back as the server's diagnostics;
 * a server that does not answer is {@code server_unreachable}.
 */
final class HttpCompanion implements Companion, ListWorkersUseCase {

    private final HttpTransport transport;
    private final ConversationId conversation;
    /** Where this conversation's routes are, e.g. {@code api/companion/}. */
    private final String prefix;
    private final RemoteEvents events;

    HttpCompanion(URI base, Optional<String> accessToken) {
        this(new HttpTransport(base, accessToken), ConversationId.DEFAULT);
    }

    HttpCompanion(HttpTransport transport, ConversationId conversation) {
        this.transport = transport;
        this.conversation = conversation;
        boolean isDefault = conversation.equals(ConversationId.DEFAULT);
        this.prefix = isDefault ? "api/companion/" : "api/conversations/" + conversation.value() + "/";
        // A Companion's events are its own turns and states: not the list's news, even of itself.
        this.events = new RemoteEvents(transport,
                isDefault ? List.of("api/companion/events") : List.of("api/events?conversation=" + conversation.value()),
                isDefault ? List.of("api/events", "api/companion/events") : List.of("api/events"),
                this::latestCursor, event -> event.conversationId().equals(conversation) && !isListNews(event),
                Optional.of(conversation));
    }

    private static boolean isListNews(CompanionEvent event) {
        return event instanceof CompanionEvent.ConversationCreated || event instanceof CompanionEvent.ConversationRenamed
                || event instanceof CompanionEvent.ConversationDeleted;
    }

    @Override
    public ConversationId conversationId() {
        return conversation;
    }

    // ---- driving ports -------------------------------------------------------------------------

    @Override
    public SendResult send(SendMessageCommand command) {
        return started(transport.post(prefix + "messages", Json.write(Map.of("content", command.content()))));
    }

    @Override
    public SendResult regenerate() {
        return started(transport.post(prefix + "regenerate", "{}"));
    }

    @Override
    public SendResult edit(EditMessageCommand command) {
        return started(transport.post(prefix + "edit", Json.write(Map.of("content", command.message().content()))));
    }

    /** The answer to a send, regenerate or edit, as the runtime would have given it. */
    private SendResult started(HttpTransport.Answer answer) {
        JsonNode body = answer.body();
        List<Diagnostic> diagnostics = body == null ? List.of() : WireReader.diagnostics(body);
        switch (answer.status()) {
            case 202: {
                if (body == null) {
                    throw HttpTransport.failure(answer, Optional.of(conversation));
                }
                TranscriptItem item = WireReader.item(body.path("item"));
                return new SendResult.Accepted(new Turn(new TurnId(body.path("turn_id").asText()), item,
                        item.createdAt()), diagnostics);
            }
            case 409:
                if (body != null && WireReader.state(body.path("state")) == CompanionState.BUSY) {
                    return new SendResult.Busy(WireReader.text(body.get("running_turn_id")).map(TurnId::new),
                            diagnostics);
                }
                throw HttpTransport.failure(answer, Optional.of(conversation));
            case 422:
                if (!diagnostics.isEmpty() && (diagnostics.get(0).code() == DiagnosticCode.NOTHING_TO_REGENERATE
                        || diagnostics.get(0).code() == DiagnosticCode.NOTHING_TO_EDIT)) {
                    return new SendResult.Refused(diagnostics);
                }
                throw HttpTransport.failure(answer, Optional.of(conversation));
            case 500:
                if (body != null && WireReader.state(body.path("state")) == CompanionState.ERROR
                        && !diagnostics.isEmpty() && diagnostics.get(0).code() == DiagnosticCode.STORAGE_WRITE_FAILED) {
                    return new SendResult.Failed(diagnostics);
                }
                throw HttpTransport.failure(answer, Optional.of(conversation));
            case 503:
                if (body != null && WireReader.state(body.path("state")) == CompanionState.ERROR
                        && !diagnostics.isEmpty() && diagnostics.get(0).code() == DiagnosticCode.STORE_UNAVAILABLE) {
                    return new SendResult.Failed(diagnostics);
                }
                throw HttpTransport.failure(answer, Optional.of(conversation));
            default:
                throw HttpTransport.failure(answer, Optional.of(conversation));
        }
    }

    @Override
    public Optional<TurnOutcome> awaitTurn(TurnId turn, Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        // Listen first, then look in the transcript: a turn that ends in between is seen either way.
        long cursor = latestCursor();
        EventFrameReader reader = events.follow(cursor);
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
                    reader = events.follow(cursor);
                    continue;
                }
                if (frame.isEmpty()) {
                    return Optional.empty();
                }
                if (RemoteEvents.isReset(frame.get())) {
                    Optional<TurnOutcome> after = storedOutcome(turn,
                            transcript(TranscriptQuery.newest(TranscriptQuery.MAX_LIMIT)).items());
                    if (after.isPresent()) {
                        return after;
                    }
                    cursor = RemoteEvents.resetCursor(frame.get(), cursor);
                    continue;
                }
                cursor = frame.get().id().map(Long::parseLong).orElse(cursor);
                Optional<CompanionEvent> event = events.decode(frame.get());
                if (event.isPresent() && event.get() instanceof CompanionEvent.TurnEnded ended
                        && ended.outcome().turnId().equals(turn)) {
                    return Optional.of(ended.outcome());
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
        JsonNode json = transport.expect(transport.post(prefix + "cancel", Json.write(body)), 200,
                Optional.of(conversation));
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
        return WireReader.status(statusJson(), conversation);
    }

    private JsonNode statusJson() {
        return transport.expect(transport.get(prefix + "status"), 200, Optional.of(conversation));
    }

    @Override
    public TranscriptPage transcript(TranscriptQuery query) {
        StringBuilder path = new StringBuilder(prefix).append("transcript?limit=").append(query.limit());
        query.start().ifPresent(start -> path.append("&start=").append(start));
        return WireReader.page(transport.expect(transport.get(path.toString()), 200, Optional.of(conversation)));
    }

    @Override
    public List<WorkerSnapshot> workers() {
        List<WorkerSnapshot> workers = new ArrayList<>();
        transport.expect(transport.get("api/workers"), 200, Optional.empty()).path("workers")
                .forEach(w -> workers.add(WireReader.worker(w)));
        return workers;
    }

    @Override
    public long latestCursor() {
        return statusJson().path("latest_cursor").asLong();
    }

    @Override
    public EventReplay eventsAfter(long cursor, int max) {
        return events.eventsAfter(cursor, max);
    }

    @Override
    public Subscription subscribe(long cursor, EventListener listener) {
        return events.subscribe(cursor, listener);
    }

    /** The outcome of a turn whose reply is among these items. */
    private static Optional<TurnOutcome> storedOutcome(TurnId turn, List<TranscriptItem> items) {
        for (TranscriptItem item : items) {
            if (item.role() == Role.ASSISTANT && item.turnId().equals(turn)) {
                return Optional.of(switch (item.status()) {
                    case COMPLETED, TRUNCATED, FILTERED, REFUSED -> new TurnOutcome.Completed(turn, Optional.of(item), item.details().diagnostics());
                    case CANCELLED -> new TurnOutcome.Cancelled(turn, Optional.of(item), item.details().diagnostics());
                    case TIMEOUT -> new TurnOutcome.TimedOut(turn, Optional.of(item), item.details().diagnostics());
                    default -> new TurnOutcome.Failed(turn, CompanionState.ERROR, Optional.of(item),
                            item.details().diagnostics());
                });
            }
        }
        return Optional.empty();
    }
}
