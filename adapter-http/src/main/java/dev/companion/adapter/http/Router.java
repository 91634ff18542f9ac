package dev.companion.adapter.http;

import dev.companion.core.model.DiagnosticCode;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Exact paths to handlers by method, a prefix for the console's files, and JSON answers for the
 * rest: 404 for an unknown path, 405 with {@code Allow} for a known path and another method
 * ({@code OPTIONS} included: there is no CORS here to negotiate).
 */
final class Router implements HttpHandler {

    private final Map<String, Map<String, HttpHandler>> exact = new LinkedHashMap<>();
    private final Map<String, Map<String, HttpHandler>> prefixes = new LinkedHashMap<>();

    Router route(String method, String path, HttpHandler handler) {
        exact.computeIfAbsent(path, p -> new TreeMap<>()).put(method, handler);
        return this;
    }

    /** Routes every path under {@code prefix} (which ends with {@code /}); the longest prefix wins. */
    Router routePrefix(String method, String prefix, HttpHandler handler) {
        prefixes.computeIfAbsent(prefix, p -> new TreeMap<>()).put(method, handler);
        return this;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        String path = exchange.getRequestPath();
        Map<String, HttpHandler> byMethod = exact.get(path);
        if (byMethod == null) {
            String longest = "";
            for (Map.Entry<String, Map<String, HttpHandler>> prefix : prefixes.entrySet()) {
                if (path.startsWith(prefix.getKey()) && prefix.getKey().length() > longest.length()) {
                    longest = prefix.getKey();
                    byMethod = prefix.getValue();
                }
            }
        }
        if (byMethod == null) {
            throw new Rejection(404, DiagnosticCode.NOT_FOUND, "There is nothing at this address.");
        }
        HttpHandler handler = byMethod.get(exchange.getRequestMethod().toString());
        if (handler == null) {
            String allow = String.join(", ", byMethod.keySet());
            throw new Rejection(405, dev.companion.core.model.Diagnostic.error(DiagnosticCode.METHOD_NOT_ALLOWED,
                    "This address takes " + allow + " only."), Map.of("Allow", allow));
        }
        handler.handleRequest(exchange);
    }
}
