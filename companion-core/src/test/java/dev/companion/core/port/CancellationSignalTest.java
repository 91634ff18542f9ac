package dev.companion.core.port;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class CancellationSignalTest {

    @Test
    void actions_run_once_on_cancel_and_at_once_when_registered_late() {
        CancellationSignal signal = new CancellationSignal();
        AtomicInteger runs = new AtomicInteger();
        signal.onCancel(runs::incrementAndGet);
        signal.cancel();
        signal.cancel();
        assertThat(runs).hasValue(1);
        signal.onCancel(runs::incrementAndGet);
        assertThat(runs).hasValue(2);
        assertThat(signal.isCancelled()).isTrue();
    }
}
