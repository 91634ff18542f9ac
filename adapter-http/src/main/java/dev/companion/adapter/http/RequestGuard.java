package dev.companion.adapter.http;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.PathTemplateMatch;

import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The one door into the server: every request passes the guards of the route it reaches in the
 * {@link RouteTable} before that route runs, and a request that reaches no route passes all of
 * them, so that a 404 or a 405 tells a stranger nothing. In this order:
 *
 * <ol>
 *   <li>{@code Host} must name this server (DNS rebinding), for every request;</li>
 *   <li>{@code Origin}, when present, must be this server's own (a cross-site request; a request
 *       without Origin, from curl or the CLI, passes), for every request and method;</li>
 *   <li>with an access token configured, the request must carry it, unless it reaches a route
 *       declared public;</li>
 *   <li>the route must exist (404) and take the method (405 with {@code Allow});</li>
 *   <li>the body must be declared at most the limit (413) and be JSON (415).</li>
 * </ol>
 *
 * <p>All of this runs on the IO thread and never blocks; the route then runs on a worker once its
 * whole body has arrived.
 */
final class RequestGuard implements HttpHandler {

    private final Supplier<AllowedHosts> allowed;
    private final Optional<AccessToken> token;
    private final RouteTable routes;

    RequestGuard(Supplier<AllowedHosts> allowed, Optional<AccessToken> token, RouteTable routes) {
        this.allowed = allowed;
        this.token = token;
        this.routes = routes;
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
        RouteTable.Match match = routes.match(exchange.getRequestMethod().toString(), exchange.getRequestPath());
        boolean isPublic = match instanceof RouteTable.Match.Found reached && reached.route().isPublic();
        if (!isPublic && token.isPresent()
                && !token.get().admits(exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION))) {
            throw new Rejection(401, Diagnostic.error(DiagnosticCode.UNAUTHORIZED,
                    "This server requires an access token: send it as Authorization: Bearer <token>."),
                    Map.of("WWW-Authenticate", "Bearer"));
        }
        if (match instanceof RouteTable.Match.WrongMethod wrong) {
            String allow = String.join(", ", wrong.allowed());
            throw new Rejection(405, Diagnostic.error(DiagnosticCode.METHOD_NOT_ALLOWED,
                    "This address takes " + allow + " only."), Map.of("Allow", allow));
        }
        if (!(match instanceof RouteTable.Match.Found found)) {
            throw new Rejection(404, DiagnosticCode.NOT_FOUND, "There is nothing at this address.");
        }
        RequestBodies.checkDeclaredLength(exchange);
        RequestBodies.checkContentType(exchange, found.route().body());
        exchange.putAttachment(PathTemplateMatch.ATTACHMENT_KEY, found.path());
        if (isPublic) {
            // Public routes serve static files, which a browser may cache; API answers may not.
            exchange.getResponseHeaders().remove(Headers.CACHE_CONTROL);
        }
        found.chain().handleRequest(exchange);
    }
}
