package dev.companion.adapter.http;

import io.undertow.server.HttpHandler;
import io.undertow.util.Headers;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * {@code GET /api/openapi.json}: the OpenAPI 3.1 description of this API, a resource beside this
 * class. Tests hold it to the server both ways: every route of the table is in it and nothing else,
 * and every answer the tests receive matches the schema it gives for that route and status.
 */
final class OpenApiDocument {

    static final String PATH = "/api/openapi.json";
    static final String RESOURCE = "openapi.json";

    private static final byte[] DOCUMENT = load();

    private OpenApiDocument() {
    }

    static HttpHandler handler() {
        return exchange -> {
            exchange.setStatusCode(200);
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, Responses.JSON_UTF8);
            exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, DOCUMENT.length);
            exchange.getResponseSender().send(ByteBuffer.wrap(DOCUMENT));
        };
    }

    private static byte[] load() {
        try (InputStream in = OpenApiDocument.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the OpenAPI document is missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
