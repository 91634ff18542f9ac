package dev.companion.adapter.http;

import io.undertow.server.HttpHandler;

import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One row of the {@link RouteTable}: a method, a path template and what guards its requests.
 *
 * <p>The template is Undertow's: literal segments, {@code {name}} for one non-empty segment (read
 * it with {@link RouteTable#pathParameter}) and a final {@code *} for the rest of the path.
 *
 * @param access  {@link Access#GUARDED} unless the route is deliberately public
 * @param body    what the route accepts as a request body
 * @param handler runs on a worker thread once every guard has passed and the whole body has arrived
 */
record Route(String method, String template, Access access, Body body, HttpHandler handler) {

    /** Who may call a route. Host and Origin are checked for everyone, public or not. */
    enum Access {
        /** The default: with an access token configured, the request must carry it. */
        GUARDED,
        /** No token needed: only for reads (GET, HEAD) of what holds no secret, e.g. the console's files. */
        PUBLIC
    }

    /**
     * What a route takes as a body. Every body, on every route, is at most
     * {@link RequestBodies#MAX_BODY_BYTES} and must be sent as {@code application/json} (UTF-8); a
     * route that has no use for one ignores it.
     */
    enum Body {
        /** A body is optional. */
        OPTIONAL_JSON,
        /** The request must declare a JSON body, even an empty one; no {@code Content-Type} is 415. */
        JSON
    }

    private static final Pattern METHOD = Pattern.compile("[A-Z]+");
    private static final Set<String> READS = Set.of("GET", "HEAD");

    Route {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(handler, "handler");
        if (!METHOD.matcher(method).matches()) {
            throw new IllegalArgumentException("not an HTTP method: " + method);
        }
        if (!template.startsWith("/")) {
            throw new IllegalArgumentException("a path template starts with /: " + template);
        }
        if (access == Access.PUBLIC && !READS.contains(method)) {
            // A public route that changes state would be open to anyone who can reach the port.
            throw new IllegalArgumentException("only GET and HEAD routes may be public: " + method + " " + template);
        }
    }

    boolean isPublic() {
        return access == Access.PUBLIC;
    }

    /** "METHOD template", e.g. {@code GET /api/conversations/{id}}. */
    @Override
    public String toString() {
        return method + " " + template + (isPublic() ? " (public)" : "");
    }
}
