package dev.companion.adapter.http;

import dev.companion.core.ObserveEventsUseCase;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.EventReplay;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.DiagnosticCode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The events of one event stream of a server, as the core's {@link ObserveEventsUseCase}: replayed
 * from a cursor, or followed on a thread of their own that reconnects with the last id received.
 * A filter keeps what the port promises when a stream carries more (a conversation's stream on
 * {@code /api/events} also tells of its renaming, which a {@code Companion} does not).
 *
 * <p>Following may read a narrowed stream; a replay reads one that carries every event, because it
 * ends once it has seen the newest cursor, which may be another conversation's. Each is a list of
 * streams tried in turn while the server has no such address (a server of an earlier release).
 */
final class RemoteEvents implements ObserveEventsUseCase {

    private final HttpTransport transport;
    private final List<String> followStreams;
    private final List<String> replayStreams;
    private final LongSupplier latestCursor;
    private final Predicate<CompanionEvent> filter;
    private final Optional<ConversationId> conversation;

    RemoteEvents(HttpTransport transport, List<String> followStreams, List<String> replayStreams,
                 LongSupplier latestCursor, Predicate<CompanionEvent> filter, Optional<ConversationId> conversation) {
        this.transport = transport;
        this.followStreams = List.copyOf(followStreams);
        this.replayStreams = List.copyOf(replayStreams);
        this.latestCursor = latestCursor;
        this.filter = filter;
        this.conversation = conversation;
    }

    @Override
    public long latestCursor() {
        return latestCursor.getAsLong();
    }

    EventFrameReader follow(long cursor) {
        return open(followStreams, cursor);
    }

    private EventFrameReader open(List<String> streams, long cursor) {
        for (int i = 0; ; i++) {
            try {
                return transport.openEvents(streams.get(i), cursor, conversation);
            } catch (CompanionException e) {
                if (i == streams.size() - 1 || e.diagnostic().code() != DiagnosticCode.NOT_FOUND) {
                    throw e;
                }
            }
        }
    }

    /** A frame's event, if it is one this build knows and the filter keeps. */
    Optional<CompanionEvent> decode(EventFrameReader.Frame frame) {
        if (frame.data().isEmpty()) {
            return Optional.empty();
        }
        return WireReader.event(frame.event(), Json.read(frame.data().get())).filter(filter);
    }

    static boolean isReset(EventFrameReader.Frame frame) {
        return Wire.RESET.equals(frame.event());
    }

    static long resetCursor(EventFrameReader.Frame frame, long fallback) {
        return Json.read(frame.data().orElse("{}")).path("latest_cursor").asLong(fallback);
    }

    @Override
    public EventReplay eventsAfter(long cursor, int max) {
        long latest = latestCursor();
        List<CompanionEvent> events = new ArrayList<>();
        if (cursor == latest || max <= 0) {
            return new EventReplay.Events(events, latest);
        }
        try (EventFrameReader reader = open(replayStreams, cursor)) {
            long seen = cursor;
            while (events.size() < max && seen < latest) {
                Optional<EventFrameReader.Frame> frame = reader.next(HttpTransport.REQUEST_TIMEOUT.toMillis(),
                        TimeUnit.MILLISECONDS);
                if (frame.isEmpty()) {
                    break;
                }
                if (isReset(frame.get())) {
                    return new EventReplay.Reset(resetCursor(frame.get(), latest));
                }
                seen = frame.get().id().map(Long::parseLong).orElse(seen);
                decode(frame.get()).ifPresent(events::add);
            }
        } catch (IOException e) {
            // the stream ended early: answer with what arrived
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new EventReplay.Events(events, Math.max(latest,
                events.isEmpty() ? latest : events.get(events.size() - 1).cursor()));
    }

    @Override
    public Subscription subscribe(long cursor, EventListener listener) {
        Following following = new Following(cursor, listener);
        following.start();
        return following;
    }

    /**
     * Follows the event stream on a thread of its own and reconnects, with the last id received,
     * whenever the connection ends (a dropped slow reader, a restart of the network), so the
     * listener sees every event once and in order, or a reset.
     */
    private final class Following implements Subscription {

        private final EventListener listener;
        private final Thread thread;
        private volatile boolean closed;
        private volatile EventFrameReader reader;
        private long cursor;

        Following(long cursor, EventListener listener) {
            this.cursor = cursor;
            this.listener = listener;
            this.thread = new Thread(this::follow, HttpTransport.readerName());
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void follow() {
            while (!closed) {
                try (EventFrameReader events = RemoteEvents.this.follow(cursor)) {
                    reader = events;
                    if (closed) {
                        return;
                    }
                    while (!closed) {
                        Optional<EventFrameReader.Frame> frame = events.next(1, TimeUnit.MINUTES);
                        if (frame.isEmpty()) {
                            continue;
                        }
                        if (isReset(frame.get())) {
                            cursor = resetCursor(frame.get(), cursor);
                            listener.onReset(cursor);
                            continue;
                        }
                        // Every id counts, also of an event the filter leaves out: a reconnect resumes after it.
                        cursor = frame.get().id().map(Long::parseLong).orElse(cursor);
                        decode(frame.get()).ifPresent(listener::onEvent);
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | CompanionException e) {
                    if (closed) {
                        return;
                    }
                    try {
                        Thread.sleep(EventStream.RETRY_MILLIS); // the server's own retry hint
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                }
            }
        }

        @Override
        public void close() {
            closed = true;
            EventFrameReader current = reader;
            if (current != null) {
                current.close();
            }
            thread.interrupt();
        }
    }
}
