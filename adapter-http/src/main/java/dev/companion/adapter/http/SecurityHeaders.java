package dev.companion.adapter.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

/**
 * Puts the safety headers on every response, set before anything else runs so that no answer,
 * error or static file, goes out without them; {@code Cache-Control: no-store} too, except on
 * what a public route serves. No {@code Access-Control-*} header is ever set:
 * the API is for this origin only.
 */
final class SecurityHeaders implements HttpHandler {

    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            + "frame-ancestors 'none'; form-action 'self'";

    static final String NO_STORE = "no-store";

    private static final HttpString CSP = new HttpString("Content-Security-Policy");
    private static final HttpString NOSNIFF = new HttpString("X-Content-Type-Options");
    private static final HttpString REFERRER = new HttpString("Referrer-Policy");

    private final HttpHandler next;

    SecurityHeaders(HttpHandler next) {
        this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        var headers = exchange.getResponseHeaders();
        headers.put(CSP, CONTENT_SECURITY_POLICY);
        headers.put(NOSNIFF, "nosniff");
        headers.put(REFERRER, "no-referrer");
        // Answers are live state that a cache must never serve again, unless the request reaches a
        // route declared public (static files), where the RequestGuard takes this off again.
        headers.put(Headers.CACHE_CONTROL, NO_STORE);
        next.handleRequest(exchange);
    }
}
