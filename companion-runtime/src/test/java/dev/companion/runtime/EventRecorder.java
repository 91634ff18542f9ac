package dev.companion.runtime;

import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Collects events and lets a test wait, with a deadline, for the one that proves a state. */
final class EventRecorder implements EventListener {

    private final List<CompanionEvent> events = new ArrayList<>();
    private final List<Long> resets = new ArrayList<>();

    @Override
    public synchronized void onEvent(CompanionEvent event) {
        events.add(event);
        notifyAll();
    }

    @Override
    public synchronized void onReset(long latestCursor) {
        resets.add(latestCursor);
        notifyAll();
    }

    synchronized List<CompanionEvent> events() {
        return List.copyOf(events);
    }

    synchronized List<Long> resets() {
        return List.copyOf(resets);
    }

    synchronized CompanionEvent await(Predicate<CompanionEvent> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            for (CompanionEvent event : events) {
                if (wanted.test(event)) {
                    return event;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no such event within 10 s; saw " + events);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    <T extends CompanionEvent> T await(Class<T> type) throws InterruptedException {
        return type.cast(await(type::isInstance));
    }
}
