package dev.companion.adapter.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.PathTemplateMatch;
import io.undertow.util.PathTemplateMatcher;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executor;

/**
 * Every route of the server, in one table: its method, its path template and its policy. The
 * table is all {@link RequestGuard} knows, so a route cannot be added without its guards, and a
 * route is public only when it is declared so here; no policy follows from a path's prefix.
 *
 * <pre>{@code
 * RouteTable routes = RouteTable.builder()
 *         .guarded("GET", "/api/conversations/{id}/status", api::conversationStatus)
 *         .guarded("POST", "/api/conversations/{id}/messages", Route.Body.JSON, api::send)
 *         .publicRead("GET", "/api/openapi.json", api::openApi)
 *         .build();
 *
 * void conversationStatus(HttpServerExchange exchange) {
 *     String id = RouteTable.pathParameter(exchange, "id");   // decoded, never empty
 *     ...
 * }
 * }</pre>
 *
 * <p>Paths are matched by Undertow's {@link PathTemplateMatcher}, which {@code RoutingHandler} is
 * built on; the table uses it directly so that one lookup gives both the route and, for a wrong
 * method, the {@code Allow} list, and so that the guards run before any route does. Undertow's
 * matcher is lenient in ways this table is not: here a {@code {name}} never matches an empty
 * segment, and a path matches only if it is exactly its template filled in (no extra trailing
 * slash, nothing after a decoded {@code ?}).
 */
final class RouteTable {

    private final List<Route> routes;
    private final PathTemplateMatcher<Map<String, Entry>> matcher;

    private RouteTable(List<Route> routes, PathTemplateMatcher<Map<String, Entry>> matcher) {
        this.routes = routes;
        this.matcher = matcher;
    }

    static Builder builder() {
        return new Builder();
    }

    /** Every route, in the order declared. */
    List<Route> routes() {
        return routes;
    }

    /** What a request for {@code method} and {@code path} (decoded, without the query) reaches. */
    Match match(String method, String path) {
        PathTemplateMatcher.PathMatchResult<Map<String, Entry>> result = matcher.match(path);
        if (result == null || !exact(result, path)) {
            return new Match.NotFound();
        }
        Entry entry = result.getValue().get(method);
        if (entry == null) {
            return new Match.WrongMethod(result.getValue().keySet());
        }
        return new Match.Found(entry.route(), entry.chain(), result);
    }

    /**
     * Whether the path is the matched template with its parameters filled in, and no more: Undertow
     * also matches an extra trailing slash, and stops reading a segment at a (decoded) {@code ?}.
     */
    private static boolean exact(PathTemplateMatch result, String path) {
        // Walked by hand rather than with a regular expression: this runs for every request.
        String template = result.getMatchedTemplate();
        Map<String, String> parameters = result.getParameters();
        int at = 0;
        for (int i = 0; i < template.length(); ) {
            char c = template.charAt(i);
            if (c == '{') {
                int close = template.indexOf('}', i);
                String value = parameters.get(template.substring(i + 1, close));
                if (value == null || value.isEmpty() || !path.startsWith(value, at)) {
                    return false;
                }
                at += value.length();
                i = close + 1;
            } else if (c == '*' && i == template.length() - 1) {
                String rest = parameters.getOrDefault("*", "");
                return path.length() - at == rest.length() && path.startsWith(rest, at);
            } else {
                if (at >= path.length() || path.charAt(at) != c) {
                    return false;
                }
                at++;
                i++;
            }
        }
        return at == path.length();
    }

    /**
     * The value of the path parameter {@code {name}} of the route that is answering, decoded
     * (e.g. {@code "abc"} for {@code /api/conversations/abc/status}); never empty.
     *
     * @throws IllegalStateException when the route's template has no such parameter: a bug of the route
     */
    static String pathParameter(HttpServerExchange exchange, String name) {
        PathTemplateMatch match = exchange.getAttachment(PathTemplateMatch.ATTACHMENT_KEY);
        String value = match == null ? null : match.getParameters().get(name);
        if (value == null) {
            throw new IllegalStateException("the route has no path parameter {" + name + "}");
        }
        return value;
    }

    /** What a request reaches: one route, a path that takes other methods, or nothing. */
    sealed interface Match {

        /** @param chain the route's handler, on a worker behind the body reader or on the IO thread, as the route runs */
        record Found(Route route, HttpHandler chain, PathTemplateMatch path) implements Match {
        }

        /** @param allowed the methods the path does take, in alphabetical order */
        record WrongMethod(Set<String> allowed) implements Match {
        }

        record NotFound() implements Match {
        }
    }

    private record Entry(Route route, HttpHandler chain) {
    }

    /** Declares routes; each one is guarded unless it is declared with {@link #publicRead}. */
    static final class Builder {

        private final List<Route> routes = new ArrayList<>();
        private Executor sendingThreads;

        private Builder() {
        }

        /**
         * Where the routes that start a turn run ({@link Route.Runs#ON_SENDING_THREAD}); null, the
         * default, for the worker threads.
         */
        Builder sendingThreads(Executor sendingThreads) {
            this.sendingThreads = sendingThreads;
            return this;
        }

        /** A guarded request that starts a turn (a send, regenerate or edit); see {@link Route.Runs#ON_SENDING_THREAD}. */
        Builder guardedTurnStart(String method, String template, Route.Body body, HttpHandler handler) {
            return add(new Route(method, template, Route.Access.GUARDED, body, Route.Runs.ON_SENDING_THREAD, handler));
        }

        /** A guarded route that takes no body, or an optional JSON one. */
        Builder guarded(String method, String template, HttpHandler handler) {
            return guarded(method, template, Route.Body.OPTIONAL_JSON, handler);
        }

        Builder guarded(String method, String template, Route.Body body, HttpHandler handler) {
            return add(new Route(method, template, Route.Access.GUARDED, body, Route.Runs.ON_WORKER, handler));
        }

        /**
         * A guarded read answered on the IO thread, for a handler that never blocks; see
         * {@link Route.Runs#ON_IO_THREAD}.
         */
        Builder guardedOnIoThread(String method, String template, HttpHandler handler) {
            return add(new Route(method, template, Route.Access.GUARDED, Route.Body.OPTIONAL_JSON,
                    Route.Runs.ON_IO_THREAD, handler));
        }

        /**
         * A read that needs no access token (GET or HEAD only), for what holds no secret. Host and
         * Origin are still checked.
         */
        Builder publicRead(String method, String template, HttpHandler handler) {
            return add(new Route(method, template, Route.Access.PUBLIC, Route.Body.OPTIONAL_JSON, Route.Runs.ON_WORKER,
                    handler));
        }

        private Builder add(Route route) {
            for (Route existing : routes) {
                if (existing.method().equals(route.method()) && existing.template().equals(route.template())) {
                    throw new IllegalArgumentException("the route " + route + " is declared twice");
                }
            }
            routes.add(route);
            return this;
        }

        /** @throws IllegalArgumentException when two templates would match the same paths */
        RouteTable build() {
            Map<String, Map<String, Entry>> byTemplate = new TreeMap<>();
            for (Route route : routes) {
                byTemplate.computeIfAbsent(route.template(), t -> new TreeMap<>())
                        .put(route.method(), new Entry(route, chain(route)));
            }
            PathTemplateMatcher<Map<String, Entry>> matcher = new PathTemplateMatcher<>();
            for (Map.Entry<String, Map<String, Entry>> template : byTemplate.entrySet()) {
                try {
                    matcher.add(template.getKey(), Collections.unmodifiableMap(template.getValue()));
                } catch (IllegalStateException e) {
                    // Undertow refuses a template equivalent to one it holds (e.g. /a/{id} and /a/{name}).
                    throw new IllegalArgumentException("the template " + template.getKey()
                            + " matches the same paths as another: " + e.getMessage(), e);
                }
            }
            return new RouteTable(List.copyOf(routes), matcher);
        }

        /**
         * A route's handler on a worker (or sending) thread, with the body already read: a client
         * that sends half a body holds no thread while the rest fails to come. The failure handler
         * sits inside, on that thread, so that it sees what the route throws. A route that runs on
         * the IO thread gets only the failure handler.
         */
        private HttpHandler chain(Route route) {
            return switch (route.runs()) {
                // A body sent to a read is not read: the route answers, and Undertow drains the rest.
                case ON_IO_THREAD -> new FailureHandler(route.handler());
                case ON_WORKER -> new BodyReader(new FailureHandler(route.handler()), null);
                case ON_SENDING_THREAD -> new BodyReader(new FailureHandler(route.handler()), sendingThreads);
            };
        }
    }
}
