package dev.companion.core.port;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Tells a running model call to stop. A model registers what stops it (closing a connection, say)
 * with {@link #onCancel}; the runtime calls {@link #cancel} once the turn has ended for any reason.
 */
public final class CancellationSignal {

    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final List<Runnable> actions = new CopyOnWriteArrayList<>();

    public boolean isCancelled() {
        return cancelled.get();
    }

    /** Runs {@code action} when cancelled, at once if that already happened. */
    public void onCancel(Runnable action) {
        actions.add(action);
        if (cancelled.get() && actions.remove(action)) {
            action.run();
        }
    }

    public void cancel() {
        if (cancelled.compareAndSet(false, true)) {
            for (Runnable action : actions) {
                if (actions.remove(action)) {
                    action.run();
                }
            }
        }
    }
}
