package dev.companion.adapter.http;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;

import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Refuses requests that do not come from this server's own pages or from a local client: a
 * foreign {@code Host} (DNS rebinding), a foreign or {@code null} {@code Origin} (a cross-site
 * request; a request without Origin, from curl or the CLI, passes), and, when a token is
 * configured, an API request without it.
 */
final class RequestGuard implements HttpHandler {

    private final Supplier<AllowedHosts> allowed;
    private final Optional<AccessToken> token;
    private final HttpHandler next;

    RequestGuard(Supplier<AllowedHosts> allowed, Optional<AccessToken> token, HttpHandler next) {
        this.allowed = allowed;
        this.token = token;
        this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        AllowedHosts hosts = allowed.get();
        HeaderValues hostValues = exchange.getRequestHeaders().get(Headers.HOST);
        String host = hostValues != null && hostValues.size() == 1 ? hostValues.getFirst() : null;
        if (hosts == null || !hosts.admitsHost(host)) {
            throw new Rejection(403, DiagnosticCode.FORBIDDEN_HOST,
                    "This server answers only to its own address; the Host header names another.");
        }
        HeaderValues origins = exchange.getRequestHeaders().get(Headers.ORIGIN);
        if (origins != null && (origins.size() != 1 || !hosts.admitsOrigin(origins.getFirst(), host))) {
            throw new Rejection(403, DiagnosticCode.FORBIDDEN_ORIGIN,
                    "Requests from pages of other origins are refused.");
        }
        if (token.isPresent() && exchange.getRequestPath().startsWith("/api/")
                && !token.get().admits(exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION))) {
            throw new Rejection(401, Diagnostic.error(DiagnosticCode.UNAUTHORIZED,
                    "This server requires an access token: send it as Authorization: Bearer <token>."),
                    Map.of("WWW-Authenticate", "Bearer"));
        }
        next.handleRequest(exchange);
    }
}
