package dev.companion.adapter.http;

import dev.companion.core.Companion;
import dev.companion.core.Conversations;
import dev.companion.core.ListWorkersUseCase;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ConversationNotFoundException;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.HttpContinueReadHandler;
import org.xnio.Options;

import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The Companion's HTTP server: the JSON API, the event stream (SSE), the console's static files and the guards that make
 * it safe to run on a workstation (see {@code docs/http-api.md}). Binds {@code 127.0.0.1} unless
 * told otherwise; binding another address requires an access token.
 *
 * <pre>{@code
 * try (CompanionHttpServer server = CompanionHttpServer.builder()
 *         .conversations(runtime.conversations()).workers(runtime)
 *         .port(8080).build()) {
 *     server.start();               // throws CompanionException (port_in_use) for a busy port
 *     System.out.println(server.baseUri().resolve("/console"));
 * }
 * }</pre>
 */
public final class CompanionHttpServer implements AutoCloseable {

    /** The host bound when none is given: this machine only. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** How long {@code POST /api/companion/messages?wait=true} waits for a turn by default. */
    public static final Duration DEFAULT_WAIT_LIMIT = Duration.ofMinutes(6);

    /** How often an idle event stream gets a keep-alive comment by default. */
    public static final Duration DEFAULT_EVENT_KEEP_ALIVE = Duration.ofSeconds(15);
    /** How many events a reader may fall behind before it is dropped, by default. */
    public static final int DEFAULT_EVENT_QUEUE_CAPACITY = 1024;
    /**
     * How many event streams may be open at once by default. A stream holds no thread, only its
     * connection and a small queue: 10,000 idle ones fit in a few hundred MiB.
     */
    public static final int DEFAULT_MAX_EVENT_STREAMS = 10_000;
    /** How long a client may take to send a request's head, by default. */
    public static final Duration DEFAULT_REQUEST_PARSE_TIMEOUT = Duration.ofSeconds(30);
    /** How long an open connection may wait for its next request, by default. */
    public static final Duration DEFAULT_NO_REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /**
     * How long a connection may go without a byte read or written while the server waits on it,
     * by default: well above the keep-alive of the event stream, so a live stream is never cut.
     */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

    private final Settings settings;
    private final AtomicReference<AllowedHosts> allowedHosts = new AtomicReference<>();
    private Undertow undertow;
    private EventStream events;
    private RouteTable routes;
    private InetSocketAddress bound;

    private CompanionHttpServer(Settings settings) {
        this.settings = settings;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The default conversation on the server at {@code base} (e.g. {@code http://127.0.0.1:8765/}), driven over
     * this API: the same ports as an in-process one, events included (followed over the event
     * stream, resuming with {@code Last-Event-ID} after a dropped connection). A server that does
     * not answer is a {@link CompanionException} with {@code server_unreachable}; a refusal carries
     * the server's own diagnostic.
     *
     * @param accessToken the server's access token, when it requires one
     */
    public static Companion client(URI base, Optional<String> accessToken) {
        return new HttpCompanion(base, accessToken);
    }

    /**
     * The conversations on the server at {@code base}, driven over this API: list, create, rename,
     * delete, open one as a {@link Companion}, and follow every conversation's events. An unknown
     * conversation is a {@link dev.companion.core.model.ConversationNotFoundException}; otherwise as
     * {@link #client}.
     *
     * @param accessToken the server's access token, when it requires one
     */
    public static Conversations conversationsClient(URI base, Optional<String> accessToken) {
        return new HttpConversations(new HttpTransport(base, accessToken));
    }

    /** The workers of the server at {@code base}, listed over this API; see {@link #client}. */
    public static ListWorkersUseCase workersClient(URI base, Optional<String> accessToken) {
        return new HttpCompanion(base, accessToken);
    }

    /**
     * Binds and starts serving; returns the port actually bound (useful with port 0).
     *
     * @throws CompanionException with diagnostic {@code port_in_use} when the port is taken, or
     *                            {@code bind_failed} when the address cannot be bound
     * @throws IllegalStateException when already started
     */
    public synchronized int start() {
        if (undertow != null) {
            throw new IllegalStateException("the server has already been started");
        }
        events = new EventStream(settings.eventKeepAlive(), settings.eventQueueCapacity(), settings.maxEventStreams());
        routes = routeTable(events);
        Undertow server = Undertow.builder()
                .addHttpListener(settings.port(), settings.host())
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, RequestBodies.MAX_DRAIN_BYTES)
                .setServerOption(UndertowOptions.ALLOW_UNESCAPED_CHARACTERS_IN_URL, false)
                // A client that stalls (a half-sent head or body, a connection left open) loses its
                // connection instead of keeping it forever; bodies are read without a worker thread.
                .setServerOption(UndertowOptions.REQUEST_PARSE_TIMEOUT, millis(settings.requestParseTimeout()))
                .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, millis(settings.noRequestTimeout()))
                // The idle timeout is a read and a write timeout on each connection, which an event
                // stream can switch off for reading (its client sends nothing while the server listens
                // for it to close). Not UndertowOptions.IDLE_TIMEOUT: over HTTP/1.1 it only stands in
                // for a read timeout that is switched off, so a live stream would be cut after all.
                .setSocketOption(Options.READ_TIMEOUT, millis(settings.idleTimeout()))
                .setSocketOption(Options.WRITE_TIMEOUT, millis(settings.idleTimeout()))
                // Undertow's default too, said here because every event is a small write that must
                // leave at once: no Nagle wait for the previous one's ACK.
                .setSocketOption(Options.TCP_NODELAY, true)
                .setHandler(handlers(allowedHosts::get, settings.token(), routes))
                .build();
        try {
            server.start();
        } catch (RuntimeException e) {
            server.stop();
            events.close();
            events = null;
            routes = null;
            throw startFailure(e);
        }
        undertow = server;
        bound = (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
        allowedHosts.set(AllowedHosts.of(settings.host(), bound.getPort(), settings.wildcard()));
        return bound.getPort();
    }

    /** The port bound. @throws IllegalStateException before {@link #start()} */
    public synchronized int port() {
        if (bound == null) {
            throw new IllegalStateException("the server has not been started");
        }
        return bound.getPort();
    }

    /** Where clients reach this server, e.g. {@code http://127.0.0.1:8080/}. */
    public synchronized URI baseUri() {
        String host = settings.wildcard() ? DEFAULT_HOST : AllowedHosts.authorityHost(settings.host());
        return URI.create("http://" + host + ":" + port() + "/");
    }

    /** Stops serving and ends the event streams. Running turns go on in the runtime; closing twice is harmless. */
    @Override
    public synchronized void close() {
        if (events != null) {
            events.close();
            events = null;
        }
        if (undertow != null) {
            undertow.stop();
            undertow = null;
        }
    }

    /**
     * The whole handler chain in front of the routes. The guards run on the IO thread (they never
     * block) and their refusals are answered there; a route runs on a worker only once its whole
     * body has arrived.
     */
    static HttpHandler handlers(Supplier<AllowedHosts> allowedHosts, Optional<AccessToken> token, RouteTable routes) {
        return new SecurityHeaders(new HttpContinueReadHandler(new FailureHandler(
                new RequestGuard(allowedHosts, token, routes))));
    }

    /**
     * Every route the server has, each with its policy: guarded (Host, Origin, the token, body
     * limits and type) unless declared public. A route added anywhere else does not exist.
     */
    private RouteTable routeTable(EventStream events) {
        Conversations conversations = settings.conversations();
        CompanionApi api = new CompanionApi(conversations, settings.workers(), settings.waitLimit(), "sse");
        ConversationsApi list = new ConversationsApi(conversations);
        ConsoleFiles console = new ConsoleFiles(settings.consoleLoader(), settings.consolePrefix());
        RouteTable.Builder routes = RouteTable.builder().sendingThreads(settings.sendingThreads().orElse(null));
        // One conversation's routes, twice: the default one as earlier releases had it, and any by id.
        conversationRoutes(routes, "/api/companion", api, api.defaultConversation(), settings.statusFromMemory());
        routes.guarded("GET", "/api/companion/events", events.handler(exchange -> EventStream.Source.all(
                conversations.open(ConversationId.DEFAULT))));
        routes.guarded("GET", "/api/conversations", list::list)
                .guarded("POST", "/api/conversations", list::create)
                .guarded("GET", "/api/conversations/{id}", list::get)
                .guarded("PATCH", "/api/conversations/{id}", Route.Body.JSON, list::rename)
                .guarded("DELETE", "/api/conversations/{id}", list::delete);
        // Any other conversation may have to be opened from the store first: on a worker.
        conversationRoutes(routes, "/api/conversations/{id}", api, api.conversationInPath(), false);
        return routes
                .guarded("GET", "/api/events", events.handler(exchange -> everyConversation(exchange, conversations)))
                .guarded("GET", "/api/workers", api::workers)
                .guarded("GET", OpenApiDocument.PATH, OpenApiDocument.handler())
                // The console's files hold no secret, and a browser cannot send a token for them.
                .publicRead("GET", "/", ConsoleFiles.redirectToConsole())
                .publicRead("GET", ConsoleFiles.PATH, console.index())
                .publicRead("HEAD", ConsoleFiles.PATH, console.index())
                .publicRead("GET", ConsoleFiles.PATH + "/*", console.file())
                .publicRead("HEAD", ConsoleFiles.PATH + "/*", console.file())
                .publicRead("GET", ConsoleFiles.VENDOR_PATH + "/*", console.vendorFile())
                .publicRead("HEAD", ConsoleFiles.VENDOR_PATH + "/*", console.vendorFile())
                .build();
    }

    private static void conversationRoutes(RouteTable.Builder routes, String prefix, CompanionApi api,
                                           CompanionApi.Scope scope, boolean statusFromMemory) {
        if (statusFromMemory) {
            routes.guardedOnIoThread("GET", prefix + "/status", api.status(scope));
        } else {
            routes.guarded("GET", prefix + "/status", api.status(scope));
        }
        routes.guarded("GET", prefix + "/transcript", api.transcript(scope))
                .guarded("GET", prefix + "/transcript/export", api.export(scope))
                .guardedTurnStart("POST", prefix + "/messages", Route.Body.JSON, api.send(scope))
                .guardedTurnStart("POST", prefix + "/regenerate", Route.Body.OPTIONAL_JSON, api.regenerate(scope))
                .guardedTurnStart("POST", prefix + "/edit", Route.Body.JSON, api.edit(scope))
                .guarded("POST", prefix + "/cancel", Route.Body.OPTIONAL_JSON, api.cancel(scope));
    }

    /**
     * {@code /api/events}: every conversation's events, or with {@code ?conversation=ID} those of
     * one conversation (its turns and states, and its renaming and deletion). An unknown
     * conversation is 404 before the stream starts.
     */
    private static EventStream.Source everyConversation(HttpServerExchange exchange, Conversations conversations) {
        Optional<String> narrowed = CompanionApi.single(exchange.getQueryParameters(), "conversation");
        if (narrowed.isEmpty()) {
            return EventStream.Source.all(conversations);
        }
        ConversationId id = ConversationId.parse(narrowed.get());
        if (conversations.get(id).isEmpty()) {
            throw new ConversationNotFoundException(id);
        }
        return new EventStream.Source(conversations, event -> event.conversationId().equals(id));
    }

    /** The routes served, for tests that check every one of them. @throws IllegalStateException before {@link #start()} */
    synchronized List<Route> routes() {
        if (routes == null) {
            throw new IllegalStateException("the server has not been started");
        }
        return routes.routes();
    }

    /**
     * Waits until at most {@code streams} event streams are open, for tests that reconnect: the
     * server frees a stream's slot once it has seen its client go, which no client can observe.
     */
    boolean awaitEventStreamsAtMost(int streams, Duration timeout) throws InterruptedException {
        EventStream current;
        synchronized (this) {
            current = events;
        }
        if (current == null) {
            throw new IllegalStateException("the server has not been started");
        }
        return current.awaitOpenAtMost(streams, timeout);
    }

    /** How many events the event streams have serialised, for the test that each is serialised once. */
    synchronized long eventFramesMade() {
        if (events == null) {
            throw new IllegalStateException("the server has not been started");
        }
        return events.framesMade();
    }

    private static int millis(Duration duration) {
        return (int) Math.min(Integer.MAX_VALUE, duration.toMillis());
    }

    private CompanionException startFailure(RuntimeException e) {
        String where = AllowedHosts.authorityHost(settings.host()) + ":" + settings.port();
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof BindException && String.valueOf(cause.getMessage()).contains("in use")) {
                return new CompanionException(CompanionState.ERROR, Diagnostic.error(DiagnosticCode.PORT_IN_USE,
                        "Port " + settings.port() + " on " + AllowedHosts.authorityHost(settings.host())
                                + " is already in use; stop the program using it or choose another port."), e);
            }
        }
        return new CompanionException(CompanionState.ERROR, Diagnostic.error(DiagnosticCode.BIND_FAILED,
                "The server could not listen on " + where + "; check the host is an address of this machine."), e);
    }

    /** What a server is built from; checked by the builder. */
    record Settings(Conversations conversations, ListWorkersUseCase workers, String host, int port, boolean wildcard,
                    Optional<AccessToken> token, ClassLoader consoleLoader, String consolePrefix,
                    Duration waitLimit, Duration eventKeepAlive, int eventQueueCapacity, int maxEventStreams,
                    Duration requestParseTimeout, Duration noRequestTimeout, Duration idleTimeout,
                    boolean statusFromMemory, Optional<Executor> sendingThreads) {
    }

    /** Configures a server. The conversations and the workers are required; the rest has safe defaults. */
    public static final class Builder {
        private Conversations conversations;
        private ListWorkersUseCase workers;
        private String host = DEFAULT_HOST;
        private int port;
        private Optional<String> accessToken = Optional.empty();
        private ClassLoader consoleLoader = CompanionHttpServer.class.getClassLoader();
        private String consolePrefix = "console/";
        private Duration waitLimit = DEFAULT_WAIT_LIMIT;
        private Duration eventKeepAlive = DEFAULT_EVENT_KEEP_ALIVE;
        private int eventQueueCapacity = DEFAULT_EVENT_QUEUE_CAPACITY;
        private int maxEventStreams = DEFAULT_MAX_EVENT_STREAMS;
        private boolean statusFromMemory;
        private Optional<Executor> sendingThreads = Optional.empty();
        private Duration requestParseTimeout = DEFAULT_REQUEST_PARSE_TIMEOUT;
        private Duration noRequestTimeout = DEFAULT_NO_REQUEST_TIMEOUT;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;

        private Builder() {
        }

        /**
         * The conversations served: {@code /api/conversations/*} and {@code /api/events}, and the
         * default one as {@code /api/companion/*}.
         */
        public Builder conversations(Conversations conversations) {
            this.conversations = Objects.requireNonNull(conversations, "conversations");
            return this;
        }

        public Builder workers(ListWorkersUseCase workers) {
            this.workers = Objects.requireNonNull(workers, "workers");
            return this;
        }

        /** The address to bind; {@value #DEFAULT_HOST} by default. Any other needs an access token. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** The port to bind, 0 for any free one (read it back from {@link #start()}). */
        public Builder port(int port) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("the port must be between 0 and 65535");
            }
            this.port = port;
            return this;
        }

        /** A token every API request must carry as {@code Authorization: Bearer <token>}. */
        public Builder accessToken(Optional<String> accessToken) {
            this.accessToken = Objects.requireNonNull(accessToken, "accessToken");
            return this;
        }

        /** Where the console's files are: {@code <prefix>index.html} and the rest, on this class loader. */
        public Builder console(ClassLoader loader, String prefix) {
            this.consoleLoader = Objects.requireNonNull(loader, "loader");
            this.consolePrefix = Objects.requireNonNull(prefix, "prefix");
            return this;
        }

        /** How long {@code ?wait=true} waits for a turn: the runtime's turn timeout and a margin. */
        public Builder waitLimit(Duration waitLimit) {
            if (waitLimit.isNegative() || waitLimit.isZero()) {
                throw new IllegalArgumentException("the wait limit must be positive");
            }
            this.waitLimit = waitLimit;
            return this;
        }

        /**
         * Says that the default conversation's status is read from this process's memory alone, as
         * it is with the embedded journal and the in-memory store (not with a store shared by several
         * servers, whose status asks the database who runs a turn). {@code GET /api/companion/status}
         * is then answered on the IO thread, without handing the request to a worker. Off by default.
         */
        public Builder statusFromMemory(boolean statusFromMemory) {
            this.statusFromMemory = statusFromMemory;
            return this;
        }

        /**
         * Where sends, regenerates and edits run once their body has arrived: the embedding runtime's
         * sending threads ({@code CompanionRuntime.sendingThreads()}), on which the thread that takes
         * the message goes on to answer it, with no hand-off to another thread before the request to
         * the model leaves. A request it refuses runs on a worker thread, as every request does
         * without it (the default).
         */
        public Builder sendingThreads(Executor sendingThreads) {
            this.sendingThreads = Optional.of(sendingThreads);
            return this;
        }

        /** How often an idle event stream gets a keep-alive comment; 15 seconds by default. */
        public Builder eventKeepAlive(Duration eventKeepAlive) {
            if (eventKeepAlive.isNegative() || eventKeepAlive.isZero()) {
                throw new IllegalArgumentException("the keep-alive interval must be positive");
            }
            this.eventKeepAlive = eventKeepAlive;
            return this;
        }

        /** How many events a reader may fall behind before it is dropped; 1024 by default. */
        public Builder eventQueueCapacity(int eventQueueCapacity) {
            if (eventQueueCapacity < 1) {
                throw new IllegalArgumentException("the event queue must hold at least one event");
            }
            this.eventQueueCapacity = eventQueueCapacity;
            return this;
        }

        /** How many event streams may be open at once; 10,000 by default. One more is refused with 503. */
        public Builder maxEventStreams(int maxEventStreams) {
            if (maxEventStreams < 1) {
                throw new IllegalArgumentException("at least one event stream must be allowed");
            }
            this.maxEventStreams = maxEventStreams;
            return this;
        }

        /**
         * How long a client may stall before its connection is closed: sending a request's head
         * (30 seconds by default), between requests on an open connection (60 seconds), and with
         * nothing read or written while the server waits on it, e.g. in the middle of a body
         * (60 seconds). The idle timeout must be longer than the event stream's keep-alive.
         */
        public Builder timeouts(Duration requestParseTimeout, Duration noRequestTimeout, Duration idleTimeout) {
            for (Duration timeout : new Duration[] {requestParseTimeout, noRequestTimeout, idleTimeout}) {
                if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("a timeout must be positive and at most 24 days");
                }
            }
            this.requestParseTimeout = requestParseTimeout;
            this.noRequestTimeout = noRequestTimeout;
            this.idleTimeout = idleTimeout;
            return this;
        }

        /**
         * @throws IllegalArgumentException when the host is not loopback and no access token is set,
         *                                  or the host is not an address
         */
        public CompanionHttpServer build() {
            Objects.requireNonNull(conversations, "conversations are required");
            Objects.requireNonNull(workers, "workers is required");
            String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
            InetAddress address = resolve(literal);
            if (eventKeepAlive.compareTo(idleTimeout) >= 0) {
                throw new IllegalArgumentException("The event stream's keep-alive (" + eventKeepAlive + ") must be "
                        + "shorter than the idle timeout (" + idleTimeout + "), or live streams would be cut.");
            }
            Optional<AccessToken> token = accessToken.map(AccessToken::of);
            if (!address.isLoopbackAddress() && token.isEmpty()) {
                throw new IllegalArgumentException("Binding " + host + " would expose the Companion beyond this "
                        + "machine: set an access token, or bind 127.0.0.1.");
            }
            return new CompanionHttpServer(new Settings(conversations, workers, literal, port,
                    address.isAnyLocalAddress(), token, consoleLoader, consolePrefix, waitLimit, eventKeepAlive,
                    eventQueueCapacity, maxEventStreams, requestParseTimeout, noRequestTimeout, idleTimeout,
                    statusFromMemory, sendingThreads));
        }

        private static InetAddress resolve(String host) {
            try {
                return InetAddress.getByName(host);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("The host " + host + " is not a known address.", e);
            }
        }
    }
}
