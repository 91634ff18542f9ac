package dev.companion.adapter.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.CancelCommand;
import dev.companion.core.Companion;
import dev.companion.core.ListWorkersUseCase;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.TranscriptExport;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

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

/** The JSON routes of the API, each a translation from HTTP to one driving port and back. */
final class CompanionApi {

    /** The channel recorded as the source of messages sent over HTTP. */
    static final String SOURCE = "http";
    /** Longest run of digits accepted for a number parameter; more cannot be a sequence or cursor. */
    private static final int MAX_DIGITS = 18;

    private final Companion companion;
    private final ListWorkersUseCase workers;
    private final Duration waitLimit;
    private final String completion;

    CompanionApi(Companion companion, ListWorkersUseCase workers, Duration waitLimit, String completion) {
        this.companion = companion;
        this.workers = workers;
        this.waitLimit = waitLimit;
        this.completion = completion;
    }

    void status(HttpServerExchange exchange) {
        long latestCursor = companion.latestCursor();
        Responses.json(exchange, 200, Wire.StatusJson.of(companion.status(), latestCursor, completion));
    }

    void workers(HttpServerExchange exchange) {
        Responses.json(exchange, 200, new Wire.WorkersJson(CompanionState.READY.wireName(),
                workers.workers().stream().map(Wire.WorkerJson::of).toList(), List.of()));
    }

    void transcript(HttpServerExchange exchange) {
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
    void export(HttpServerExchange exchange) throws IOException {
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
                "attachment; filename=\"companion-transcript." + (json ? "json" : "md") + "\"");
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

    void send(HttpServerExchange exchange) throws InterruptedException {
        boolean wait = flag(exchange.getQueryParameters(), "wait");
        // The route is declared with a JSON body: the guards have checked its type and length.
        JsonNode body = Json.read(RequestBodies.readUtf8(exchange));
        if (!body.isObject()) {
            throw Rejection.malformedJson("The body must be a JSON object with a \"content\" string.");
        }
        JsonNode content = body.get("content");
        if (content == null || !content.isTextual()) {
            throw Rejection.malformedJson("The body must have a \"content\" string.");
        }
        SendResult result = companion.send(new SendMessageCommand(
                RequestBodies.requireWellFormed(content.textValue()), SOURCE));
        if (result instanceof SendResult.Accepted accepted) {
            if (wait) {
                finished(exchange, accepted.turn());
            } else {
                Turn turn = accepted.turn();
                Responses.json(exchange, 202, new Wire.AcceptedJson(result.state().wireName(), turn.id().value(),
                        Wire.ItemJson.of(turn.userItem()), Wire.DiagnosticJson.all(accepted.diagnostics())));
            }
        } else if (result instanceof SendResult.Busy busy) {
            Responses.json(exchange, 409, new Wire.BusyJson(result.state().wireName(), busy.runningTurn().value(),
                    Wire.DiagnosticJson.all(busy.diagnostics())));
        } else {
            Responses.json(exchange, 500, new Wire.ErrorJson(result.state().wireName(),
                    Wire.DiagnosticJson.all(result.diagnostics())));
        }
    }

    /** Waits for the turn to end and answers with its outcome; a turn still running at the limit says so. */
    private void finished(HttpServerExchange exchange, Turn turn) throws InterruptedException {
        Wire.ItemJson item = Wire.ItemJson.of(turn.userItem());
        Optional<TurnOutcome> ended = companion.awaitTurn(turn.id(), waitLimit);
        if (ended.isEmpty()) {
            Responses.json(exchange, 202, new Wire.FinishedJson(CompanionState.ACCEPTED.wireName(),
                    turn.id().value(), item, null, null, List.of(Wire.DiagnosticJson.of(Diagnostic.warning(
                    DiagnosticCode.TURN_NOT_FINISHED, "The turn is still running; follow it in the transcript "
                            + "or the event stream.")))));
            return;
        }
        TurnOutcome outcome = ended.get();
        Responses.json(exchange, 200, new Wire.FinishedJson(outcome.state().wireName(), turn.id().value(), item,
                Wire.ItemJson.ofNullable(outcome.reply()), Wire.outcomeName(outcome),
                Wire.DiagnosticJson.all(outcome.diagnostics())));
    }

    void cancel(HttpServerExchange exchange) {
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

    private static Optional<String> single(Map<String, Deque<String>> query, String name) {
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
