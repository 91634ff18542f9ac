package dev.companion.runtime;

/** How many turns may run at once across every conversation of a runtime. */
final class TurnPermits {

    private final int max;
    private int running;

    TurnPermits(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("at least one turn must be allowed to run");
        }
        this.max = max;
    }

    synchronized boolean tryAcquire() {
        if (running == max) {
            return false;
        }
        running++;
        return true;
    }

    synchronized void release() {
        if (running > 0) {
            running--;
        }
    }

    synchronized int running() {
        return running;
    }

    int max() {
        return max;
    }
}
