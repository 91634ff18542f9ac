package dev.companion.adapter.llm;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Waits between retries; injectable so tests record the waits instead of taking them. */
@FunctionalInterface
interface Sleeper {

    /** Waits {@code duration} unless {@code wake} opens first; true when the full wait passed. */
    boolean sleep(Duration duration, CountDownLatch wake) throws InterruptedException;

    Sleeper REAL = (duration, wake) -> !wake.await(duration.toNanos(), TimeUnit.NANOSECONDS);
}
