package dev.companion.adapter.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.CancelCommand;
import dev.companion.core.Companion;
import dev.companion.core.Conversations;
import dev.companion.core.EditMessageCommand;
import dev.companion.core.ListWorkersUseCase;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.TranscriptExport;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The JSON routes of one conversation, each a translation from HTTP to one driving port and back.
 * Every route takes the conversation it acts on from a {@link Scope}: the default one for
 * {@code /api/companion/*}, the one named in the path for {@code /api/conversations/{id}/*}, so the
 * two families answer in exactly the same shapes.
 */
final class CompanionApi {

    /** The channel recorded as the source of messages sent over HTTP. */
    static final String SOURCE = "http";
    /** Longest run of digits accepted for a number parameter; more cannot be a sequence or cursor. */
    private static final int MAX_DIGITS = 18;

    private final Conversations conversations;
    private final ListWorkersUseCase workers;
    private final Duration waitLimit;
    private final String completion;

    CompanionApi(Conversations conversations, ListWorkersUseCase workers, Duration waitLimit, String completion) {
        this.conversations = conversations;
        this.workers = workers;
        this.waitLimit = waitLimit;
        this.completion = completion;
    }

    /**
     * Which conversation a family of routes acts on, and the name its exports are saved under.
     * Opened for each request, never kept: a conversation may be deleted between two requests.
     */
    /** The last status answered; racing writers only ever replace one whole pair with another. */
    private volatile SerialisedStatus lastStatus;

    interface Scope {
        /** @throws dev.companion.core.model.ConversationNotFoundException when it does not exist (404) */
        Companion companion(HttpServerExchange exchange);

        String exportName(HttpServerExchange exchange);
    }

    /** {@code /api/companion/*}: the default conversation, as every earlier release had it. */
    Scope defaultConversation() {
        return new Scope() {
            @Override
            public Companion companion(HttpServerExchange exchange) {
                return conversations.open(ConversationId.DEFAULT);
            }

            @Override
            public String exportName(HttpServerExchange exchange) {
                return "companion-transcript";
            }
        };
    }

    /** {@code /api/conversations/{id}/*}: the conversation the path names; a malformed id is 400. */
    Scope conversationInPath() {
        return new Scope() {
            @Override
            public Companion companion(HttpServerExchange exchange) {
                return conversations.open(pathId(exchange));
            }

            @Override
            public String exportName(HttpServerExchange exchange) {
                return "conversation-" + pathId(exchange).value();
            }
        };
    }

    /** The {@code {id}} of the route: a well-formed conversation id, else 400 {@code invalid_parameter}. */
    static ConversationId pathId(HttpServerExchange exchange) {
        return ConversationId.parse(RouteTable.pathParameter(exchange, "id"));
    }

    HttpHandler status(Scope scope) {
        return exchange -> {
            Companion companion = scope.companion(exchange);
            long latestCursor = companion.latestCursor();
            Responses.json(exchange, 200, serialised(companion.status(), latestCursor));
        };
    }

    /**
     * The status's bytes, reused while the status and the cursor are those of the last one answered:
     * a console or a script polls a status that seldom changes, and turning it into its wire form and
     * writing that out was a quarter of such a request's cost (JFR under wrk).
     */
    private byte[] serialised(CompanionStatus status, long latestCursor) {
        SerialisedStatus last = lastStatus;
        if (last != null && last.latestCursor() == latestCursor && last.status().equals(status)) {
            return last.bytes();
        }
        byte[] bytes = Json.write(Wire.StatusJson.of(status, latestCursor, completion)).getBytes(StandardCharsets.UTF_8);
        lastStatus = new SerialisedStatus(status, latestCursor, bytes);
        return bytes;
    }

    private record SerialisedStatus(CompanionStatus status, long latestCursor, byte[] bytes) {
    }

    void workers(HttpServerExchange exchange) {
        Responses.json(exchange, 200, new Wire.WorkersJson(CompanionState.READY.wireName(),
                workers.workers().stream().map(Wire.WorkerJson::of).toList(), List.of()));
    }

    HttpHandler transcript(Scope scope) {
        return exchange -> transcript(exchange, scope.companion(exchange));
    }

    private void transcript(HttpServerExchange exchange, Companion companion) {
        Map<String, Deque<String>> query = exchange.getQueryParameters();
        OptionalLong start = number(query, "start");
        OptionalLong limit = number(query, "limit");
        int pageSize = limit.isPresent()
                ? (int) Math.min(limit.getAsLong(), Integer.MAX_VALUE) // the core clamps it, with a diagnostic
                : TranscriptQuery.DEFAULT_LIMIT;
        Responses.json(exchange, 200, Wire.PageJson.of(companion.transcript(new TranscriptQuery(start, pageSize))));
    }

    /**
     * The whole conversation as one download, {@code format=json} (the default) or
     * {@code format=markdown}. Items are read a page at a time and streamed, so a long transcript
     * never sits in memory whole.
     */
    HttpHandler export(Scope scope) {
        return exchange -> export(exchange, scope.companion(exchange), scope.exportName(exchange));
    }

    private void export(HttpServerExchange exchange, Companion companion, String name) throws IOException {
        String format = single(exchange.getQueryParameters(), "format").orElse("json");
        if (!format.equals("json") && !format.equals("markdown")) {
            throw Rejection.invalidParameter("format must be json or markdown.");
        }
        // Read once before any byte is sent, so a store that cannot be read is still a JSON error answer.
        companion.transcript(TranscriptQuery.from(0, 0));
        Instant exportedAt = Instant.now();
        boolean json = format.equals("json");
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, json ? Responses.JSON_UTF8 : "text/markdown; charset=utf-8");
        exchange.getResponseHeaders().put(Headers.CONTENT_DISPOSITION,
                "attachment; filename=\"" + name + "." + (json ? "json" : "md") + "\"");
        OutputStream out = exchange.getOutputStream();
        if (json) {
            try (JsonGenerator generator = Json.MAPPER.createGenerator(out)) {
                generator.writeStartObject();
                generator.writeStringField("state", CompanionState.READY.wireName());
                generator.writeStringField("exported_at", exportedAt.toString());
                generator.writeArrayFieldStart("items");
                long count = TranscriptExport.eachItem(companion, item -> writeItem(generator, item));
                generator.writeEndArray();
                generator.writeNumberField("total_items", count);
                generator.writeArrayFieldStart("diagnostics");
                generator.writeEndArray();
                generator.writeEndObject();
            }
        } else {
            Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            writer.write(TranscriptExport.markdownHeading(companion.status().worker().label(), exportedAt));
            TranscriptExport.eachItem(companion, item -> write(writer, TranscriptExport.markdown(item)));
            writer.flush();
        }
    }

    private static void writeItem(JsonGenerator generator, TranscriptItem item) {
        try {
            Json.MAPPER.writeValue(generator, Wire.ItemJson.of(item));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Writer writer, String text) {
        try {
            writer.write(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    HttpHandler send(Scope scope) {
        return exchange -> {
            boolean wait = flag(exchange.getQueryParameters(), "wait");
            Companion companion = scope.companion(exchange);
            // The route is declared with a JSON body: the guards have checked its type and length.
            String content = content(exchange);
            started(exchange, companion, companion.send(new SendMessageCommand(content, SOURCE)), wait);
        };
    }

    /** Answers the last user message afresh; a body, when given, is a JSON object (of no fields yet). */
    HttpHandler regenerate(Scope scope) {
        return exchange -> {
            boolean wait = flag(exchange.getQueryParameters(), "wait");
            Companion companion = scope.companion(exchange);
            String text = RequestBodies.readUtf8(exchange);
            if (!text.isEmpty() && !Json.read(text).isObject()) {
                throw Rejection.malformedJson("The body, when given, must be a JSON object.");
            }
            started(exchange, companion, companion.regenerate(), wait);
        };
    }

    /** New words for the last user message, checked as a new message is, then answered. */
    HttpHandler edit(Scope scope) {
        return exchange -> {
            boolean wait = flag(exchange.getQueryParameters(), "wait");
            Companion companion = scope.companion(exchange);
            String content = content(exchange);
            started(exchange, companion, companion.edit(EditMessageCommand.of(content, SOURCE)), wait);
        };
    }

    /** The {@code content} string of a JSON object body. */
    private static String content(HttpServerExchange exchange) {
        JsonNode body = Json.read(RequestBodies.readUtf8(exchange));
        if (!body.isObject()) {
            throw Rejection.malformedJson("The body must be a JSON object with a \"content\" string.");
        }
        JsonNode content = body.get("content");
        if (content == null || !content.isTextual()) {
            throw Rejection.malformedJson("The body must have a \"content\" string.");
        }
        return RequestBodies.requireWellFormed(content.textValue());
    }

    /** The answer to a send, regenerate or edit: accepted (or finished, with wait), busy, refused or failed. */
    private void started(HttpServerExchange exchange, Companion companion, SendResult result, boolean wait) {
        if (result instanceof SendResult.Accepted accepted) {
            if (wait) {
                finished(exchange, companion, accepted.turn());
            } else {
                Turn turn = accepted.turn();
                Responses.json(exchange, 202, new Wire.AcceptedJson(result.state().wireName(), turn.id().value(),
                        Wire.ItemJson.of(turn.userItem()), Wire.DiagnosticJson.all(accepted.diagnostics())));
            }
        } else if (result instanceof SendResult.Busy busy) {
            Responses.json(exchange, 409, new Wire.BusyJson(result.state().wireName(),
                    busy.runningTurn().map(TurnId::value).orElse(null), Wire.DiagnosticJson.all(busy.diagnostics())));
        } else if (result instanceof SendResult.Refused refused) {
            Responses.json(exchange, 422, new Wire.ErrorJson(result.state().wireName(),
                    Wire.DiagnosticJson.all(refused.diagnostics())));
        } else {
            // A store that cannot be reached right now (the shared database is down) is 503, with Retry-After.
            int status = result.diagnostics().isEmpty() ? 500
                    : FailureHandler.storageStatus(exchange, result.diagnostics().get(0).code());
            Responses.json(exchange, status, new Wire.ErrorJson(result.state().wireName(),
                    Wire.DiagnosticJson.all(result.diagnostics())));
        }
    }

    /**
     * Answers with the turn's outcome once it ends; a turn still running at the limit says so. No
     * thread waits: the answer is written by the thread that ends the turn (with the embedded runtime,
     * usually this one, which goes on to answer the turn once this handler returns), or by a worker
     * when the limit passes first.
     */
    private void finished(HttpServerExchange exchange, Companion companion, Turn turn) {
        CompletionStage<Optional<TurnOutcome>> ending = companion.whenTurnEnds(turn.id(), waitLimit);
        exchange.dispatch(SameThreadExecutor.INSTANCE, () -> ending.whenComplete((ended, failure) -> {
            FailureHandler answer = new FailureHandler(done -> answerFinished(done, turn, ended, failure));
            if (failure == null && ended.isPresent()) {
                answer.handleRequest(exchange);
            } else {
                exchange.getConnection().getWorker().execute(() -> answer.handleRequest(exchange));
            }
        }));
    }

    /** The answer once the wait is over: the outcome, a turn still running at the limit, or the failure. */
    private void answerFinished(HttpServerExchange exchange, Turn turn, Optional<TurnOutcome> ended, Throwable failure)
            throws Exception {
        if (failure != null) {
            Throwable cause = failure instanceof CompletionException wrapped && wrapped.getCause() != null
                    ? wrapped.getCause() : failure;
            throw cause instanceof Exception e ? e : new IllegalStateException(cause);
        }
        Wire.ItemJson item = Wire.ItemJson.of(turn.userItem());
        if (ended.isEmpty()) {
            Responses.json(exchange, 202, new Wire.FinishedJson(CompanionState.ACCEPTED.wireName(),
                    turn.id().value(), item, null, null, List.of(Wire.DiagnosticJson.of(Diagnostic.warning(
                    DiagnosticCode.TURN_NOT_FINISHED, "The turn is still running; follow it in the transcript "
                            + "or the event stream.")))));
            return;
        }
        TurnOutcome outcome = ended.get();
        Responses.json(exchange, 200, new Wire.FinishedJson(outcome.state().wireName(), turn.id().value(), item,
                Wire.ItemJson.ofNullable(outcome.reply()), outcome.end().wireName(),
                Wire.DiagnosticJson.all(outcome.diagnostics())));
    }

    HttpHandler cancel(Scope scope) {
        return exchange -> cancel(exchange, scope.companion(exchange));
    }

    private void cancel(HttpServerExchange exchange, Companion companion) {
        Optional<TurnId> turn = Optional.empty();
        Optional<String> reason = Optional.empty();
        // The body is optional; when there is one, the guards have checked it is JSON.
        String text = RequestBodies.readUtf8(exchange);
        if (!text.isEmpty()) {
            JsonNode body = Json.read(text);
            if (!body.isObject()) {
                throw Rejection.malformedJson("The body, when given, must be a JSON object.");
            }
            reason = optionalText(body, "reason");
            Optional<String> turnId = optionalText(body, "turn_id");
            if (turnId.isPresent()) {
                try {
                    turn = Optional.of(new TurnId(turnId.get()));
                } catch (IllegalArgumentException e) {
                    throw Rejection.invalidParameter("turn_id is not a turn id.");
                }
            }
        }
        Responses.json(exchange, 200, Wire.CancelJson.of(companion.cancel(new CancelCommand(turn, reason))));
    }

    private static Optional<String> optionalText(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw Rejection.malformedJson("\"" + field + "\" must be a string.");
        }
        return Optional.of(RequestBodies.requireWellFormed(value.textValue()));
    }

    /** A number parameter: absent, or one value of digits only (no sign, no spaces, not empty). */
    static OptionalLong number(Map<String, Deque<String>> query, String name) {
        Deque<String> values = query.get(name);
        if (values == null) {
            return OptionalLong.empty();
        }
        if (values.size() != 1) {
            throw Rejection.invalidParameter(name + " must be given once.");
        }
        return OptionalLong.of(digits(values.getFirst(), name));
    }

    static long digits(String value, String name) {
        if (value.isEmpty() || value.length() > MAX_DIGITS || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw Rejection.invalidParameter(name + " must be a whole number, 0 or more.");
        }
        return Long.parseLong(value);
    }

    static Optional<String> single(Map<String, Deque<String>> query, String name) {
        Deque<String> values = query.get(name);
        if (values == null) {
            return Optional.empty();
        }
        if (values.size() != 1) {
            throw Rejection.invalidParameter(name + " must be given once.");
        }
        return Optional.of(values.getFirst());
    }

    private static boolean flag(Map<String, Deque<String>> query, String name) {
        Deque<String> values = query.get(name);
        if (values == null) {
            return false;
        }
        List<String> distinct = new ArrayList<>(values);
        if (distinct.size() != 1 || !(distinct.get(0).equals("true") || distinct.get(0).equals("false"))) {
            throw Rejection.invalidParameter(name + " must be true or false.");
        }
        return distinct.get(0).equals("true");
    }
}
