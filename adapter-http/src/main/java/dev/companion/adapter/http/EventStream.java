package dev.companion.adapter.http;

import com.fasterxml.jackson.core.JsonGenerator;
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
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The event streams as Server-Sent Events: {@code GET /api/events} (every conversation's events, or
 * one conversation's with {@code ?conversation=}) and {@code GET /api/companion/events} (the default
 * conversation's, as earlier releases had it). Each stream reads a {@link Source}, chosen per request.
 *
 * <p>Streams hold no thread: each is written with non-blocking writes on its connection's IO
 * thread, and waits for the socket with a write listener when the reader is slower than the
 * events. At most {@code maxStreams} are open; one more is refused with 503
 * {@code event_streams_full} and {@code Retry-After}. Each connection has its own bounded queue.
 * The runtime's listener only appends to it and asks the IO thread to write (once for all the
 * streams of an IO thread that became ready together), so a slow reader can never slow a turn or
 * another reader; a reader that falls more than {@code capacity} live events behind is dropped
 * (with a {@code dropped} event when it can still be written) and resumes from the last id it
 * received. The replay of a resume is taken whole and queued apart, so resuming far back cannot
 * itself overflow, nor count against the live events that follow it. An event is serialised once,
 * by the first stream to write it, and its bytes are shared by every stream.
 *
 * <p>Frames carry one line of JSON each: Jackson escapes CR and LF inside strings, so no text can
 * split or forge a frame. Undertow's own {@code ServerSentEventConnection} is not used: it frames
 * differently ({@code id:} with no space, a keep-alive of {@code :\n}), sends no {@code retry:},
 * queues without bound and formats every message again for every connection.
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

    private static final System.Logger LOG = System.getLogger(EventStream.class.getName());
    private static final HttpString LAST_EVENT_ID = new HttpString("Last-Event-ID");
    private static final HttpString ACCEL_BUFFERING = new HttpString("X-Accel-Buffering");
    private static final byte[] RETRY = ("retry: " + RETRY_MILLIS + "\n\n").getBytes(StandardCharsets.UTF_8);
    private static final byte[] KEEP_ALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.UTF_8);

    private final long keepAliveNanos;
    private final int capacity;
    private final int maxStreams;
    /** Streams open now, at most {@code maxStreams}; guarded by {@code this}, waited on by tests. */
    private int openStreams;
    private boolean closed;
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final Map<XnioIoThread, ReadyStreams> ready = new ConcurrentHashMap<>();
    /**
     * The frame of the newest event: the runtime hands the same event to every stream in turn, so
     * all of them queue this one frame and its bytes are made once.
     */
    private volatile SharedFrame newest;
    /** How many events' frames were made, for the test that each is made once for all streams. */
    private final LongAdder framesMade = new LongAdder();

    EventStream(Duration keepAlive, int capacity, int maxStreams) {
        this.keepAliveNanos = keepAlive.toNanos();
        this.capacity = capacity;
        this.maxStreams = maxStreams;
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
            Connection connection = new Connection(exchange, events, cursor);
            try {
                // From here on the stream lives on its connection's IO thread, and holds no other.
                exchange.dispatch(exchange.getIoThread(), connection::start);
            } catch (RuntimeException e) {
                releaseSlot();
                throw e;
            }
        };
    }

    private synchronized boolean takeSlot() {
        if (closed || openStreams >= maxStreams) {
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
        synchronized (this) {
            closed = true;
        }
        new ArrayList<>(open).forEach(Connection::end);
    }

    /** How many events have been serialised into frames so far (each once, however many streams write it). */
    long framesMade() {
        return framesMade.sum();
    }

    /** The one frame of {@code event}, shared by every stream that writes it. */
    private SharedFrame frameOf(CompanionEvent event) {
        SharedFrame last = newest;
        if (last != null && last.event == event) {
            return last;
        }
        SharedFrame made = new SharedFrame(event);
        newest = made;
        return made;
    }

    /** What a stream writes: the bytes of one frame. */
    private interface Frame {
        byte[] bytes();
    }

    private record FixedFrame(byte[] bytes) implements Frame {
    }

    /** An event's frame, serialised by the first stream that writes it (on an IO thread, not the turn's). */
    private final class SharedFrame implements Frame {
        private final CompanionEvent event;
        private volatile byte[] bytes;

        SharedFrame(CompanionEvent event) {
            this.event = event;
        }

        @Override
        public byte[] bytes() {
            byte[] made = bytes;
            if (made == null) {
                synchronized (this) {
                    made = bytes;
                    if (made == null) {
                        made = frame(event);
                        bytes = made;
                        framesMade.increment();
                    }
                }
            }
            return made;
        }
    }

    /**
     * The streams of one IO thread that have something to write: the runtime asks the IO thread
     * once for all the streams an event made ready, not once per stream.
     */
    private static final class ReadyStreams implements Runnable {
        private final XnioIoThread thread;
        private ArrayDeque<Connection> waiting = new ArrayDeque<>();
        private ArrayDeque<Connection> writing = new ArrayDeque<>();
        private boolean posted;

        ReadyStreams(XnioIoThread thread) {
            this.thread = thread;
        }

        void add(Connection connection) {
            boolean post;
            synchronized (this) {
                waiting.addLast(connection);
                post = !posted;
                posted = true;
            }
            if (post) {
                try {
                    thread.execute(this);
                } catch (RejectedExecutionException e) {
                    // The server is stopping: its connections are being closed anyway.
                }
            }
        }

        @Override
        public void run() {
            while (true) {
                synchronized (this) {
                    if (waiting.isEmpty()) {
                        posted = false;
                        return;
                    }
                    ArrayDeque<Connection> swap = writing;
                    writing = waiting;
                    waiting = swap;
                }
                for (Connection connection = writing.poll(); connection != null; connection = writing.poll()) {
                    connection.write();
                }
            }
        }
    }

    /**
     * One reader: a bounded queue filled by the runtime's thread and written on the connection's
     * IO thread. Only the IO thread touches the channel, the frame being written and the timer.
     */
    private final class Connection implements EventListener {

        private final HttpServerExchange exchange;
        private final Source source;
        private final long cursor;
        private final XnioIoThread ioThread;
        private final ReadyStreams readyStreams;
        /** The replay of a resume, taken whole and written first; guarded by {@code this}. */
        private final ArrayDeque<Frame> replay = new ArrayDeque<>();
        /** Live events: at most {@code capacity}; guarded by {@code this}. */
        private final ArrayDeque<Frame> queue = new ArrayDeque<>();
        /** Guarded by {@code this}. */
        private boolean replaying;
        private boolean dropped;
        private boolean droppedWritten;
        private boolean ended;
        /** True while the IO thread has been asked to write, or is writing; guarded by {@code this}. */
        private boolean scheduled = true;

        // The IO thread's own.
        private StreamSinkChannel sink;
        private ByteBuffer writing;
        private boolean waitingForSocket;
        private long lastWrite;
        private XnioExecutor.Key keepAliveTimer;
        private volatile Subscription subscription;

        Connection(HttpServerExchange exchange, Source source, long cursor) {
            this.exchange = exchange;
            this.source = source;
            this.cursor = cursor;
            this.ioThread = exchange.getIoThread();
            this.readyStreams = ready.computeIfAbsent(ioThread, ReadyStreams::new);
        }

        /** On the IO thread: the head and the {@code retry:} hint, then the replay, then live events. */
        void start() {
            open.add(this);
            try {
                synchronized (EventStream.this) {
                    if (closed) {
                        end();
                        return;
                    }
                }
                exchange.getConnection().addCloseListener(connection -> end());
                exchange.setStatusCode(200);
                exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/event-stream; charset=utf-8");
                exchange.getResponseHeaders().put(ACCEL_BUFFERING, "no");
                // No chunking: the stream is the rest of the connection, as EventSource expects.
                exchange.setPersistent(false);
                sink = exchange.getResponseChannel();
                sink.getWriteSetter().set(channel -> write());
                watchForClose();
                writing = ByteBuffer.wrap(RETRY);
                synchronized (this) {
                    replaying = true;
                }
                Subscription subscribed = source.events().subscribe(cursor, this);
                subscription = subscribed;
                boolean endedMeanwhile;
                synchronized (this) {
                    replaying = false;
                    endedMeanwhile = ended;
                }
                if (endedMeanwhile) {
                    subscribed.close();
                    return;
                }
                lastWrite = System.nanoTime();
                keepAliveTimer = ioThread.executeAfter(this::keepAlive, keepAliveNanos, TimeUnit.NANOSECONDS);
                write();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "an event stream could not start", e);
                end();
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
            ConduitStreamSourceChannel requests = channel.getSourceChannel();
            ByteBuffer discard = ByteBuffer.allocate(64);
            try {
                // Listening is not waiting for a request: no read timeout. The write timeout and
                // the keep-alive timer still cut a client that stops reading.
                channel.setOption(Options.READ_TIMEOUT, 0);
            } catch (IOException e) {
                end();
                return;
            }
            requests.getReadSetter().set(readable -> {
                try {
                    discard.clear();
                    if (readable.read(discard) < 0) {
                        end();
                    }
                } catch (IOException e) {
                    end();
                }
            });
            requests.resumeReads();
        }

        /**
         * On the IO thread: writes what is queued, as far as the socket takes it, and flushes; when
         * the socket is full, waits for it to drain with the write listener (which calls this again).
         */
        void write() {
            try {
                while (true) {
                    if (writing == null && (writing = nextFrame()) == null) {
                        if (!sink.flush()) {
                            waitForSocket();
                            return;
                        }
                        if (doneWriting()) {
                            break;
                        }
                        continue;
                    }
                    if (sink.write(writing) > 0) {
                        lastWrite = System.nanoTime();
                    }
                    if (writing.hasRemaining()) {
                        waitForSocket();
                        return;
                    }
                    writing = null;
                }
                if (waitingForSocket) {
                    waitingForSocket = false;
                    sink.suspendWrites();
                }
                boolean last;
                synchronized (this) {
                    last = droppedWritten;
                }
                if (last) {
                    end();
                }
            } catch (IOException e) {
                // The reader went away: nothing more to do.
                end();
            }
        }

        private void waitForSocket() {
            if (!waitingForSocket) {
                waitingForSocket = true;
                sink.resumeWrites();
            }
        }

        /** The next frame to write, or null when there is none (and none after a drop has been said). */
        private ByteBuffer nextFrame() {
            Frame frame;
            synchronized (this) {
                if (ended) {
                    return null;
                }
                if (dropped) {
                    if (droppedWritten) {
                        return null;
                    }
                    droppedWritten = true;
                    return ByteBuffer.wrap(droppedFrame());
                }
                frame = replay.isEmpty() ? queue.poll() : replay.poll();
            }
            // Serialised (once for every stream) outside this stream's lock, which the runtime takes.
            return frame == null ? null : ByteBuffer.wrap(frame.bytes());
        }

        /** True when nothing came in meanwhile: then the runtime asks again when something does. */
        private synchronized boolean doneWriting() {
            if (ended || (replay.isEmpty() && queue.isEmpty() && (!dropped || droppedWritten))) {
                scheduled = false;
                return true;
            }
            return false;
        }

        /**
         * On the IO thread, a keep-alive period after the last write: a keep-alive comment when the
         * stream is idle. A reader that does not read at all would keep a write waiting forever:
         * once dropped, or after two keep-alive periods without progress, the connection is cut.
         */
        private void keepAlive() {
            synchronized (this) {
                if (ended) {
                    return;
                }
            }
            long now = System.nanoTime();
            long idle = now - lastWrite;
            if (writing != null) {
                boolean isDropped;
                synchronized (this) {
                    isDropped = dropped;
                }
                if (isDropped || idle > 2 * keepAliveNanos) {
                    end();
                    return;
                }
            } else if (idle >= keepAliveNanos) {
                boolean idleNow;
                synchronized (this) {
                    idleNow = !scheduled;
                    scheduled = true;
                }
                if (idleNow) {
                    writing = ByteBuffer.wrap(KEEP_ALIVE);
                    write();
                    idle = 0;
                }
            }
            synchronized (this) {
                if (ended) {
                    return;
                }
            }
            keepAliveTimer = ioThread.executeAfter(this::keepAlive,
                    idle < keepAliveNanos ? keepAliveNanos - idle : keepAliveNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void onEvent(CompanionEvent event) {
            if (source.filter().test(event)) {
                offer(frameOf(event));
            }
        }

        @Override
        public void onReset(long latestCursor) {
            offer(new FixedFrame(frame(Long.toString(latestCursor), Wire.RESET,
                    Json.write(Wire.ResetJson.of(latestCursor)))));
        }

        /** Called on the runtime's thread: append, ask the IO thread to write, and return; never wait. */
        private void offer(Frame frame) {
            synchronized (this) {
                if (dropped || ended) {
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
                if (scheduled) {
                    return;
                }
                scheduled = true;
            }
            readyStreams.add(this);
        }

        /** Ends the stream, from any thread, once: no more events, the slot freed, the connection closed. */
        void end() {
            synchronized (this) {
                if (ended) {
                    return;
                }
                ended = true;
                replay.clear();
                queue.clear();
            }
            Subscription subscribed = subscription;
            if (subscribed != null) {
                subscribed.close();
            }
            open.remove(this);
            releaseSlot();
            IoUtils.safeClose(exchange.getConnection());
            if (ioThread == Thread.currentThread()) {
                stopTimer();
            } else {
                try {
                    ioThread.execute(this::stopTimer);
                } catch (RejectedExecutionException e) {
                    // The IO thread has stopped, and its timers with it.
                }
            }
        }

        private void stopTimer() {
            if (keepAliveTimer != null) {
                keepAliveTimer.remove();
                keepAliveTimer = null;
            }
        }

        private byte[] droppedFrame() {
            Wire.DroppedJson dropped = new Wire.DroppedJson(Wire.DROPPED, List.of(Wire.DiagnosticJson.of(
                    Diagnostic.warning(DiagnosticCode.EVENTS_DROPPED, "This reader fell more than " + capacity
                            + " events behind and was disconnected; reconnect with the last id received."))));
            return frame(null, Wire.DROPPED, Json.write(dropped));
        }
    }

    /** An event's frame, its JSON written straight after the frame's head. */
    static byte[] frame(CompanionEvent event) {
        StringWriter frame = head(Long.toString(event.cursor()), event.name(), 192);
        try (JsonGenerator json = Json.MAPPER.createGenerator(frame)
                .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) {
            Wire.writeEvent(json, event);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // only a nested record's serializer could fail here
        }
        return end(frame);
    }

    static byte[] frame(String id, String event, String jsonLine) {
        StringWriter frame = head(id, event, jsonLine.length() + 64);
        frame.append(jsonLine);
        return end(frame);
    }

    private static StringWriter head(String id, String event, int expectedLength) {
        StringWriter frame = new StringWriter(expectedLength);
        if (id != null) {
            frame.append("id: ").append(id).append('\n');
        }
        frame.append("event: ").append(event).append('\n');
        frame.append("data: ");
        return frame;
    }

    /** Through a String, as every answer: a lone surrogate in a model's text becomes '?'. */
    private static byte[] end(StringWriter frame) {
        return frame.append("\n\n").toString().getBytes(StandardCharsets.UTF_8);
    }
}
