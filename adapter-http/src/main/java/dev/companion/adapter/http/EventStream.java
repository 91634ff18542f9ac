package dev.companion.adapter.http;

import dev.companion.core.ObserveEventsUseCase;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import io.undertow.server.AbstractServerConnection;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import org.xnio.IoUtils;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.conduits.ConduitStreamSourceChannel;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The event streams as Server-Sent Events: {@code GET /api/events} (every conversation's events, or
 * one conversation's with {@code ?conversation=}) and {@code GET /api/companion/events} (the default
 * conversation's, as earlier releases had it). Each stream reads a {@link Source}, chosen per request.
 *
 * <p>Each connection has its own bounded queue and its own writer thread, from a pool of at most
 * {@code maxStreams}; one stream more is refused with 503 {@code event_streams_full} and
 * {@code Retry-After}. The runtime's listener only appends to the queue and returns, so a slow
 * reader can never slow a turn or another reader; a reader that falls more than {@code capacity}
 * live events behind is dropped (with a {@code dropped} event when it can still be written) and
 * resumes from the last id it received. The replay of a resume is taken whole and queued apart,
 * so resuming far back cannot itself overflow, nor count against the live events that follow it.
 * Frames carry one line of JSON each: Jackson escapes CR and LF inside strings, so no text can
 * split or forge a frame.
 *
 * <p>A reader that disconnects only ends its own subscription: the turn goes on and is stored;
 * only {@code cancel} stops it. The server listens on the connection for the reader closing it and
 * frees its slot at once, so a reader that reconnects at once finds its place.
 */
final class EventStream implements AutoCloseable {

    /** How long a browser waits before it reconnects, sent once at the start of every stream. */
    static final int RETRY_MILLIS = 2000;
    /** When a refused stream may try again: a stream rarely ends sooner. */
    static final int RETRY_AFTER_SECONDS = 10;

    private static final HttpString LAST_EVENT_ID = new HttpString("Last-Event-ID");
    private static final HttpString ACCEL_BUFFERING = new HttpString("X-Accel-Buffering");
    private static final byte[] KEEP_ALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.UTF_8);

    private final Duration keepAlive;
    private final int capacity;
    private final int maxStreams;
    /** Streams open now, at most {@code maxStreams}; guarded by {@code this}, waited on by tests. */
    private int openStreams;
    private final ThreadPoolExecutor writers;
    private final ScheduledExecutorService watchdog =
            Executors.newSingleThreadScheduledExecutor(daemonThreads("companion-events-watchdog"));
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();

    EventStream(Duration keepAlive, int capacity, int maxStreams) {
        this.keepAlive = keepAlive;
        this.capacity = capacity;
        this.maxStreams = maxStreams;
        // One thread per open stream, never more than the streams allowed; a stream accepted while
        // the thread of one just ended is still on its way back waits in the queue for a moment.
        this.writers = new ThreadPoolExecutor(maxStreams, maxStreams, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemonThreads("companion-events"));
        this.writers.allowCoreThreadTimeOut(true);
    }

    /**
     * What one stream reads: the events and cursors of a port, narrowed by a filter. Resuming is by
     * the port's cursors; events the filter leaves out are skipped, so a cursor a reader received
     * resumes just as well.
     */
    record Source(ObserveEventsUseCase events, Predicate<CompanionEvent> filter) {
        static Source all(ObserveEventsUseCase events) {
            return new Source(events, event -> true);
        }
    }

    /**
     * A stream of the events {@code source} finds for each request. The source and the cursor are
     * checked before the stream starts, so a refusal (an unknown conversation, a bad cursor) is an
     * ordinary JSON answer.
     */
    HttpHandler handler(Function<HttpServerExchange, Source> source) {
        return exchange -> {
            Source events = source.apply(exchange);
            long cursor = resumeCursor(exchange, events.events());
            if (!takeSlot()) {
                throw new Rejection(503, Diagnostic.error(DiagnosticCode.EVENT_STREAMS_FULL, "The server already "
                        + "serves " + maxStreams + " event streams; close one, or try again later."),
                        Map.of("Retry-After", Integer.toString(RETRY_AFTER_SECONDS)));
            }
            // The stream holds a thread of its own, not one of the server's workers.
            exchange.dispatch(writers, (HttpHandler) streaming -> {
                try {
                    new Connection(streaming, events, cursor).run();
                } finally {
                    releaseSlot();
                }
            });
        };
    }

    private synchronized boolean takeSlot() {
        if (openStreams >= maxStreams) {
            return false;
        }
        openStreams++;
        return true;
    }

    private synchronized void releaseSlot() {
        openStreams--;
        notifyAll();
    }

    /** Waits until at most {@code streams} streams are open; false if that did not happen in time. */
    synchronized boolean awaitOpenAtMost(int streams, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (long remaining = timeout.toNanos(); openStreams > streams; remaining = deadline - System.nanoTime()) {
            if (remaining <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, remaining);
        }
        return true;
    }

    /** Where to resume: {@code Last-Event-ID} (a browser's reconnect), else {@code ?cursor=}, else now. */
    private static long resumeCursor(HttpServerExchange exchange, ObserveEventsUseCase events) {
        String lastEventId = exchange.getRequestHeaders().getFirst(LAST_EVENT_ID);
        if (lastEventId != null && !lastEventId.isBlank()) {
            return CompanionApi.digits(lastEventId.trim(), "Last-Event-ID");
        }
        var cursor = CompanionApi.number(exchange.getQueryParameters(), "cursor");
        return cursor.isPresent() ? cursor.getAsLong() : events.latestCursor();
    }

    @Override
    public void close() {
        open.forEach(Connection::stop);
        writers.shutdownNow();
        watchdog.shutdownNow();
    }

    /** One reader: a bounded queue filled by the runtime's thread, drained by this connection's writer. */
    private final class Connection implements EventListener {

        private final HttpServerExchange exchange;
        private final Source source;
        private final long cursor;
        /** The replay of a resume, taken whole and written first. */
        private final Deque<Supplier<byte[]>> replay = new ArrayDeque<>();
        /** Live events: at most {@code capacity}. */
        private final Deque<Supplier<byte[]>> queue = new ArrayDeque<>();
        private boolean replaying;
        private boolean dropped;
        private boolean stopped;
        private volatile long writingSince;
        private ScheduledFuture<?> stuckCheck;

        Connection(HttpServerExchange exchange, Source source, long cursor) {
            this.exchange = exchange;
            this.source = source;
            this.cursor = cursor;
        }

        void run() {
            open.add(this);
            exchange.getConnection().addCloseListener(connection -> stop());
            watchForClose();
            Subscription subscription = null;
            try {
                exchange.setStatusCode(200);
                exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/event-stream; charset=utf-8");
                exchange.getResponseHeaders().put(ACCEL_BUFFERING, "no");
                // No chunking: the stream is the rest of the connection, as EventSource expects.
                exchange.setPersistent(false);
                OutputStream out = exchange.getOutputStream();
                write(out, ("retry: " + RETRY_MILLIS + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                synchronized (this) {
                    replaying = true;
                }
                subscription = source.events().subscribe(cursor, this);
                synchronized (this) {
                    replaying = false;
                }
                long period = Math.max(1, keepAlive.toMillis());
                stuckCheck = watchdog.scheduleAtFixedRate(this::closeIfStuck, period, period, TimeUnit.MILLISECONDS);
                drain(out);
            } catch (IOException e) {
                // The reader went away (or was cut off for falling behind): nothing more to do.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (subscription != null) {
                    subscription.close();
                }
                if (stuckCheck != null) {
                    stuckCheck.cancel(false);
                }
                open.remove(this);
                IoUtils.safeClose(exchange.getConnection());
            }
        }

        /**
         * Listens on the connection for the client closing it. A stream's client sends nothing after
         * its request, so otherwise the server would learn that it has gone only when a write fails,
         * up to a keep-alive period later, and its slot would stay taken until then. Once the request
         * is read nobody else reads this connection (it is not reused after the stream); anything
         * more the client sends is not part of the stream and is thrown away.
         */
        private void watchForClose() {
            // Only a request without a body: after one, the channel would end with the body, not the connection.
            if (!(exchange.getConnection() instanceof AbstractServerConnection connection)
                    || !exchange.isRequestComplete() || RequestBodies.hasBody(exchange)) {
                return; // then the next failed write ends the stream, as it always would
            }
            StreamConnection channel = connection.getChannel();
            ConduitStreamSourceChannel source = channel.getSourceChannel();
            ByteBuffer discard = ByteBuffer.allocate(256);
            connection.getIoThread().execute(() -> {
                try {
                    // Listening is not waiting for a request: no read timeout. The write timeout and
                    // the watchdog still cut a client that stops reading.
                    channel.setOption(Options.READ_TIMEOUT, 0);
                } catch (IOException e) {
                    clientGone();
                    return;
                }
                source.getReadSetter().set(readable -> {
                    try {
                        discard.clear();
                        if (readable.read(discard) < 0) {
                            clientGone();
                        }
                    } catch (IOException e) {
                        clientGone();
                    }
                });
                source.resumeReads();
            });
        }

        /** Ends the stream at once: the writer stops waiting, a write in progress fails, the slot is freed. */
        private void clientGone() {
            stop();
            IoUtils.safeClose(exchange.getConnection());
        }

        private void drain(OutputStream out) throws IOException, InterruptedException {
            while (true) {
                Supplier<byte[]> frame;
                boolean dropNow;
                synchronized (this) {
                    long deadline = System.nanoTime() + keepAlive.toNanos();
                    long remaining = keepAlive.toNanos();
                    while (replay.isEmpty() && queue.isEmpty() && !dropped && !stopped && remaining > 0) {
                        TimeUnit.NANOSECONDS.timedWait(this, remaining);
                        remaining = deadline - System.nanoTime();
                    }
                    if (stopped) {
                        return;
                    }
                    dropNow = dropped;
                    frame = dropNow ? null : replay.isEmpty() ? queue.poll() : replay.poll();
                }
                if (dropNow) {
                    write(out, droppedFrame());
                    out.flush();
                    return;
                }
                write(out, frame != null ? frame.get() : KEEP_ALIVE);
                boolean more;
                synchronized (this) {
                    more = !replay.isEmpty() || !queue.isEmpty();
                }
                if (!more) {
                    out.flush();
                }
            }
        }

        private void write(OutputStream out, byte[] bytes) throws IOException {
            writingSince = System.nanoTime();
            try {
                out.write(bytes);
            } finally {
                writingSince = 0;
            }
        }

        @Override
        public void onEvent(CompanionEvent event) {
            if (!source.filter().test(event)) {
                return;
            }
            // Serialized later, on the writer's thread: the runtime's thread only queues the event.
            offer(() -> frame(Long.toString(event.cursor()), event.name(), Json.write(Wire.event(event))));
        }

        @Override
        public void onReset(long latestCursor) {
            offer(() -> frame(Long.toString(latestCursor), Wire.RESET, Json.write(Wire.ResetJson.of(latestCursor))));
        }

        /** Called on the runtime's thread: append and return, never wait. */
        private synchronized void offer(Supplier<byte[]> frame) {
            if (dropped || stopped) {
                return;
            }
            if (replaying) {
                replay.addLast(frame);
            } else if (queue.size() >= capacity) {
                dropped = true;
                replay.clear();
                queue.clear();
            } else {
                queue.addLast(frame);
            }
            notifyAll();
        }

        synchronized void stop() {
            stopped = true;
            notifyAll();
        }

        /**
         * A writer blocked on a reader that does not read at all would hold its thread forever: once
         * dropped, or after two keep-alive periods inside one write, the connection is cut, which
         * ends the blocked write.
         */
        private void closeIfStuck() {
            long since = writingSince;
            boolean isDropped;
            synchronized (this) {
                isDropped = dropped;
            }
            long stuckFor = since == 0 ? 0 : System.nanoTime() - since;
            if ((isDropped && since != 0) || stuckFor > 2 * keepAlive.toNanos()) {
                stop();
                IoUtils.safeClose(exchange.getConnection());
            }
        }

        private byte[] droppedFrame() {
            Wire.DroppedJson dropped = new Wire.DroppedJson(Wire.DROPPED, List.of(Wire.DiagnosticJson.of(
                    Diagnostic.warning(DiagnosticCode.EVENTS_DROPPED, "This reader fell more than " + capacity
                            + " events behind and was disconnected; reconnect with the last id received."))));
            return frame(null, Wire.DROPPED, Json.write(dropped));
        }
    }

    static byte[] frame(String id, String event, String jsonLine) {
        StringBuilder frame = new StringBuilder(jsonLine.length() + 64);
        if (id != null) {
            frame.append("id: ").append(id).append('\n');
        }
        frame.append("event: ").append(event).append('\n');
        frame.append("data: ").append(jsonLine).append("\n\n");
        return frame.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
