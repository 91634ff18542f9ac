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
 * @param runs    {@link Runs#ON_WORKER} unless the route is a read that never blocks
 * @param handler runs once every guard has passed: on a worker thread once the whole body has arrived,
 *                or on the IO thread as {@code runs} says
 */
record Route(String method, String template, Access access, Body body, Runs runs, HttpHandler handler) {

    /** Where a route's handler runs. */
    enum Runs {
        /** The default: on a worker thread, once the whole body has arrived; it may block. */
        ON_WORKER,
        /**
         * On the connection's IO thread, with no hand-off: only for a read without a body that
         * answers from this process's memory and never blocks (a status). Saves two thread switches
         * per request, which is most of such a request's cost.
         */
        ON_IO_THREAD,
        /**
         * A request that starts a turn (send, regenerate, edit), once the whole body has arrived, on
         * the sending threads the host gave (the runtime's turn threads: the thread that takes the
         * message goes on to answer it, with no hand-off); on a worker thread when none were given or
         * none is free. It may block.
         */
        ON_SENDING_THREAD
    }

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
        Objects.requireNonNull(runs, "runs");
        Objects.requireNonNull(handler, "handler");
        if (!METHOD.matcher(method).matches()) {
            throw new IllegalArgumentException("not an HTTP method: " + method);
        }
        if (!template.startsWith("/")) {
            throw new IllegalArgumentException("a path template starts with /: " + template);
        }
        if (runs == Runs.ON_IO_THREAD && !READS.contains(method)) {
            // A route that takes a body must read it first, and a change may wait on the store.
            throw new IllegalArgumentException("only GET and HEAD routes may run on the IO thread: "
                    + method + " " + template);
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
