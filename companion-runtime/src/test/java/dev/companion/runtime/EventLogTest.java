package dev.companion.runtime;

import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventReplay;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.ConversationId;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EventLogTest {

    private static final long BASE = 5_000;
    private final TurnId turn = TurnId.random();

    private void publishDeltas(EventLog log, int count) {
        for (int i = 0; i < count; i++) {
            String text = "d" + i;
            log.publish(cursor -> new CompanionEvent.TextDelta(cursor, Instant.EPOCH, ConversationId.DEFAULT, turn, text));
        }
    }

    @Test
    void resuming_from_any_retained_cursor_returns_exactly_the_later_events() {
        EventLog log = new EventLog(BASE, 100);
        publishDeltas(log, 10);
        for (long cursor = BASE; cursor <= BASE + 10; cursor++) {
            EventReplay replay = log.after(cursor, 1000);
            assertThat(replay).isInstanceOf(EventReplay.Events.class);
            List<Long> cursors = ((EventReplay.Events) replay).events().stream().map(CompanionEvent::cursor).toList();
            long expectedFirst = cursor + 1;
            assertThat(cursors).hasSize((int) (BASE + 10 - cursor));
            if (!cursors.isEmpty()) {
                assertThat(cursors.get(0)).isEqualTo(expectedFirst);
            }
        }
    }

    @Test
    void a_cursor_older_than_the_retained_events_or_in_the_future_gets_a_reset() {
        EventLog log = new EventLog(BASE, 5);
        publishDeltas(log, 10); // keeps cursors BASE+6 .. BASE+10
        assertThat(log.after(BASE + 5, 100)).isInstanceOf(EventReplay.Events.class);
        assertThat(log.after(BASE + 4, 100)).isEqualTo(new EventReplay.Reset(BASE + 10));
        assertThat(log.after(BASE + 11, 100)).isEqualTo(new EventReplay.Reset(BASE + 10));
        assertThat(log.after(0, 100)).isInstanceOf(EventReplay.Reset.class);
    }

    @Test
    void a_reader_that_ends_its_subscription_while_taking_an_event_stops_no_one_else() {
        EventLog log = new EventLog(BASE, 100);
        java.util.concurrent.atomic.AtomicReference<Subscription> own = new java.util.concurrent.atomic.AtomicReference<>();
        List<Long> leaver = new java.util.concurrent.CopyOnWriteArrayList<>();
        own.set(log.subscribe(BASE, event -> {
            leaver.add(event.cursor());
            own.get().close(); // as an event stream does when its socket turns out to be gone
        }));
        EventRecorder other = new EventRecorder();
        log.subscribe(BASE, other);

        publishDeltas(log, 3);

        assertThat(leaver).containsExactly(BASE + 1);
        assertThat(other.events()).extracting(CompanionEvent::cursor).containsExactly(BASE + 1, BASE + 2, BASE + 3);
    }

    @Test
    void a_subscriber_gets_the_replay_then_live_events_without_gap_or_duplicate() {
        EventLog log = new EventLog(BASE, 100);
        publishDeltas(log, 3);
        EventRecorder recorder = new EventRecorder();
        Subscription subscription = log.subscribe(BASE + 1, recorder);
        publishDeltas(log, 2);
        subscription.close();
        publishDeltas(log, 1);
        assertThat(recorder.events()).extracting(CompanionEvent::cursor)
                .containsExactly(BASE + 2, BASE + 3, BASE + 4, BASE + 5);
    }

    @Test
    void an_unknown_cursor_on_subscribe_gets_a_reset_and_then_live_events() {
        EventLog log = new EventLog(BASE, 100);
        publishDeltas(log, 2);
        EventRecorder recorder = new EventRecorder();
        log.subscribe(BASE + 99, recorder);
        log.publish(cursor -> new CompanionEvent.StateChanged(cursor, Instant.EPOCH, ConversationId.DEFAULT, CompanionState.READY,
                CompanionState.BUSY));
        assertThat(recorder.resets()).containsExactly(BASE + 2);
        assertThat(recorder.events()).extracting(CompanionEvent::cursor).containsExactly(BASE + 3);
    }

    @Test
    void a_failing_listener_is_dropped_and_others_still_get_events() {
        EventLog log = new EventLog(BASE, 100);
        log.subscribe(BASE, event -> {
            throw new IllegalStateException("broken reader");
        });
        EventRecorder recorder = new EventRecorder();
        log.subscribe(BASE, recorder);
        publishDeltas(log, 2);
        assertThat(recorder.events()).hasSize(2);
    }
}
