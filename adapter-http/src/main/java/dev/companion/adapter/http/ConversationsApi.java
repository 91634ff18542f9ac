package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.ConversationQuery;
import dev.companion.core.Conversations;
import dev.companion.core.CreateConversationCommand;
import dev.companion.core.DeleteResult;
import dev.companion.core.RenameConversationCommand;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ConversationNotFoundException;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The routes of the conversation list: {@code /api/conversations} and {@code /api/conversations/{id}},
 * each a translation from HTTP to the {@link Conversations} port and back. What is said inside one
 * conversation is {@link CompanionApi}'s.
 */
final class ConversationsApi {

    private final Conversations conversations;

    ConversationsApi(Conversations conversations) {
        this.conversations = conversations;
    }

    /** {@code GET /api/conversations?search=&cursor=&limit=}: a page, newest activity first. */
    void list(HttpServerExchange exchange) {
        Map<String, Deque<String>> query = exchange.getQueryParameters();
        Optional<String> search = CompanionApi.single(query, "search");
        Optional<String> cursor = CompanionApi.single(query, "cursor").filter(value -> !value.isEmpty());
        OptionalLong limit = CompanionApi.number(query, "limit");
        // Read first: then following the events from it misses nothing that changes the list after.
        long latestCursor = conversations.latestCursor();
        ConversationQuery request = new ConversationQuery(search, cursor, limit.isPresent()
                ? (int) Math.min(limit.getAsLong(), Integer.MAX_VALUE) // the core says what is too many
                : ConversationQuery.DEFAULT_LIMIT);
        Responses.json(exchange, 200, Wire.ConversationPageJson.of(conversations.list(request), latestCursor));
    }

    /** {@code POST /api/conversations}, with an optional {@code {"title": "…"}}: 201 and where it is. */
    void create(HttpServerExchange exchange) {
        Optional<String> title = Optional.empty();
        String text = RequestBodies.readUtf8(exchange);
        if (!text.isEmpty()) {
            JsonNode body = Json.read(text);
            if (!body.isObject()) {
                throw Rejection.malformedJson("The body, when given, must be a JSON object.");
            }
            title = optionalText(body, "title");
        }
        Conversation created = conversations.create(new CreateConversationCommand(title));
        exchange.getResponseHeaders().put(Headers.LOCATION, "/api/conversations/" + created.id().value());
        Responses.json(exchange, 201, Wire.ConversationAnswerJson.of(created));
    }

    /** {@code GET /api/conversations/{id}}. */
    void get(HttpServerExchange exchange) {
        ConversationId id = CompanionApi.pathId(exchange);
        Conversation conversation = conversations.get(id).orElseThrow(() -> new ConversationNotFoundException(id));
        Responses.json(exchange, 200, Wire.ConversationAnswerJson.of(conversation));
    }

    /** {@code PATCH /api/conversations/{id}} {@code {"title": "…"}}. */
    void rename(HttpServerExchange exchange) {
        ConversationId id = CompanionApi.pathId(exchange);
        JsonNode body = Json.read(RequestBodies.readUtf8(exchange));
        if (!body.isObject()) {
            throw Rejection.malformedJson("The body must be a JSON object with a \"title\" string.");
        }
        JsonNode title = body.get("title");
        if (title == null || !title.isTextual()) {
            throw Rejection.malformedJson("The body must have a \"title\" string.");
        }
        Conversation renamed = conversations.rename(new RenameConversationCommand(id,
                RequestBodies.requireWellFormed(title.textValue())));
        Responses.json(exchange, 200, Wire.ConversationAnswerJson.of(renamed));
    }

    /** {@code DELETE /api/conversations/{id}}: gone, or 409 while its turn runs. */
    void delete(HttpServerExchange exchange) {
        ConversationId id = CompanionApi.pathId(exchange);
        DeleteResult result = conversations.delete(id);
        if (result instanceof DeleteResult.Busy busy) {
            Responses.json(exchange, 409, new Wire.BusyJson(result.state().wireName(), busy.runningTurn().value(),
                    Wire.DiagnosticJson.all(busy.diagnostics())));
            return;
        }
        Responses.json(exchange, 200, new Wire.DeletedJson(result.state().wireName(), id.value(),
                Wire.DiagnosticJson.all(result.diagnostics())));
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
}
