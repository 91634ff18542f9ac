package dev.companion.adapter.llm;

import dev.companion.adapter.llm.LanguageModels.Timeouts;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The watchdog keeps one timer a reply: each limit must still end the reply, for the right reason,
 * whichever order the limits come in and whatever happened before. Waits are for the abort itself,
 * with a generous deadline.
 */
class WatchdogTest {

    private static final long DEADLINE_SECONDS = 20;

    private static Timeouts limits(long firstTokenMillis, long idleMillis, long totalMillis) {
        return new Timeouts(Duration.ofSeconds(10), Duration.ofMillis(firstTokenMillis), Duration.ofMillis(idleMillis),
                Duration.ofMillis(totalMillis));
    }

    private static Watchdog.Reason awaitAbort(Watchdog watchdog) throws InterruptedException {
        assertThat(watchdog.abortedLatch().await(DEADLINE_SECONDS, TimeUnit.SECONDS)).as("the watchdog aborted").isTrue();
        return watchdog.reason().orElseThrow();
    }

    @Test
    void an_attempt_with_no_piece_ends_at_the_first_token_limit_and_closes_its_connection() throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        try (Watchdog watchdog = new Watchdog(limits(150, 60_000, 60_000))) {
            watchdog.startAttempt(stopped::countDown);

            assertThat(awaitAbort(watchdog)).isEqualTo(Watchdog.Reason.FIRST_TOKEN);
            assertThat(stopped.await(DEADLINE_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void silence_after_a_piece_ends_at_the_idle_limit_even_when_it_is_shorter_than_the_first_token_limit() throws Exception {
        try (Watchdog watchdog = new Watchdog(limits(60_000, 150, 60_000))) {
            watchdog.startAttempt(() -> { });
            watchdog.activity();

            assertThat(awaitAbort(watchdog)).isEqualTo(Watchdog.Reason.IDLE);
        }
    }

    @Test
    void silence_after_a_piece_ends_at_the_idle_limit_when_it_is_longer_than_the_first_token_limit() throws Exception {
        long started = System.nanoTime();
        try (Watchdog watchdog = new Watchdog(limits(100, 400, 60_000))) {
            watchdog.startAttempt(() -> { });
            watchdog.activity();

            assertThat(awaitAbort(watchdog)).isEqualTo(Watchdog.Reason.IDLE);
            // Not the first-token limit firing late: the idle limit counts from the piece.
            assertThat(System.nanoTime() - started).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(400));
        }
    }

    @Test
    void between_attempts_only_the_total_limit_counts() throws Exception {
        try (Watchdog watchdog = new Watchdog(limits(100, 100, 400))) {
            watchdog.startAttempt(() -> { });
            watchdog.endAttempt();

            assertThat(awaitAbort(watchdog)).isEqualTo(Watchdog.Reason.TOTAL);
        }
    }

    @Test
    void a_later_attempt_has_a_first_token_limit_of_its_own() throws Exception {
        try (Watchdog watchdog = new Watchdog(limits(200, 60_000, 60_000))) {
            watchdog.startAttempt(() -> { });
            watchdog.activity();
            watchdog.endAttempt();
            CountDownLatch stopped = new CountDownLatch(1);
            watchdog.startAttempt(stopped::countDown);

            assertThat(awaitAbort(watchdog)).isEqualTo(Watchdog.Reason.FIRST_TOKEN);
            assertThat(stopped.await(DEADLINE_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void the_first_reason_wins_and_a_cancel_stops_the_attempt() throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        try (Watchdog watchdog = new Watchdog(limits(60_000, 60_000, 60_000))) {
            watchdog.startAttempt(stopped::countDown);
            watchdog.abort(Watchdog.Reason.CANCELLED);
            watchdog.abort(Watchdog.Reason.TOTAL);

            assertThat(watchdog.reason()).contains(Watchdog.Reason.CANCELLED);
            assertThat(stopped.getCount()).isZero();
        }
    }

    @Test
    void a_closed_watchdog_never_aborts() throws Exception {
        Watchdog watchdog = new Watchdog(limits(50, 50, 100));
        watchdog.startAttempt(() -> { });
        watchdog.close();

        // Waiting for something that must not happen: a bounded wait well past every limit.
        assertThat(watchdog.abortedLatch().await(600, TimeUnit.MILLISECONDS)).isFalse();
        assertThat(watchdog.reason()).isEmpty();
    }
}
