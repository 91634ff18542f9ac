package dev.companion.adapter.http;

import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Writes JSON answers. Every answer of the API, errors included, goes through here. */
final class Responses {

    static final String JSON_UTF8 = "application/json; charset=utf-8";

    private Responses() {
    }

    static void json(HttpServerExchange exchange, int status, Object body) {
        // Through a String, as ever: a lone surrogate in a model's text becomes '?', where Jackson's
        // byte writer would refuse the whole answer.
        json(exchange, status, Json.write(body).getBytes(StandardCharsets.UTF_8));
    }

    /** An answer already serialised, as UTF-8 JSON. */
    static void json(HttpServerExchange exchange, int status, byte[] bytes) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, JSON_UTF8);
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, bytes.length);
        exchange.getResponseSender().send(ByteBuffer.wrap(bytes));
    }

    static void error(HttpServerExchange exchange, int status, CompanionState state, Diagnostic diagnostic) {
        // Also when a public route fails (a missing file): a refusal is never cached.
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, SecurityHeaders.NO_STORE);
        json(exchange, status, new Wire.ErrorJson(state.wireName(), List.of(Wire.DiagnosticJson.of(diagnostic))));
    }

    static void reject(HttpServerExchange exchange, Rejection rejection) {
        rejection.headers().forEach((name, value) -> exchange.getResponseHeaders().put(
                new io.undertow.util.HttpString(name), value));
        error(exchange, rejection.status(), rejection.state(), rejection.diagnostic());
    }
}
