package dev.companion.runtime;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Deadlines keep one timer task for many limits: each limit must still run at its own time,
 * whichever order they are set in, and a limit called off must never run. Waits are for the action
 * itself, with a generous deadline.
 */
class DeadlinesTest {

    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    private final Deadlines deadlines = new Deadlines(timer);

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void a_limit_runs_its_action_once_it_has_passed() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        long set = System.nanoTime();

        deadlines.after(Duration.ofMillis(100), ran::countDown);

        assertThat(ran.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(System.nanoTime() - set).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
    }

    @Test
    void an_earlier_limit_set_after_a_later_one_is_not_held_back_by_it() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        CountDownLatch early = new CountDownLatch(1);
        deadlines.after(Duration.ofMinutes(5), () -> ran.add("late"));

        deadlines.after(Duration.ofMillis(50), () -> {
            ran.add("early");
            early.countDown();
        });

        assertThat(early.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(ran).containsExactly("early");
    }

    @Test
    void limits_set_in_any_order_run_in_the_order_they_come() throws Exception {
        List<Integer> ran = new CopyOnWriteArrayList<>();
        CountDownLatch all = new CountDownLatch(3);
        for (int millis : new int[] {300, 100, 200}) {
            deadlines.after(Duration.ofMillis(millis), () -> {
                ran.add(millis);
                all.countDown();
            });
        }

        assertThat(all.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(ran).containsExactly(100, 200, 300);
    }

    @Test
    void a_limit_called_off_never_runs_and_the_others_still_do() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        CountDownLatch kept = new CountDownLatch(1);
        Deadlines.Deadline calledOff = deadlines.after(Duration.ofMillis(50), () -> ran.add("called off"));
        deadlines.after(Duration.ofMillis(150), () -> {
            ran.add("kept");
            kept.countDown();
        });

        calledOff.cancel();

        assertThat(kept.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(ran).containsExactly("kept");
    }

    @Test
    void a_failing_action_does_not_keep_the_others_due_with_it_from_running() throws Exception {
        CountDownLatch second = new CountDownLatch(1);
        deadlines.after(Duration.ofMillis(50), () -> {
            throw new IllegalStateException("boom");
        });
        deadlines.after(Duration.ofMillis(50), second::countDown);

        assertThat(second.await(20, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void a_stopped_timer_refuses_a_new_limit() {
        timer.shutdownNow();

        assertThatThrownBy(() -> deadlines.after(Duration.ofMillis(50), () -> { }))
                .isInstanceOf(RejectedExecutionException.class);
    }
}
