package dev.companion.adapter.llm;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/** Records the waits between retries instead of taking them. */
final class RecordingSleeper implements Sleeper {

    final List<Duration> waits = new CopyOnWriteArrayList<>();

    @Override
    public boolean sleep(Duration duration, CountDownLatch wake) {
        waits.add(duration);
        return wake.getCount() > 0;
    }
}
