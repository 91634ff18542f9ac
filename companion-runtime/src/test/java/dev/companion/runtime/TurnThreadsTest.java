package dev.companion.runtime;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class TurnThreadsTest {

    private final TurnThreads threads = new TurnThreads(Executors.newCachedThreadPool());
    private final List<String> steps = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    private static void await(CountDownLatch latch) throws InterruptedException {
        assertThat(latch.await(20, TimeUnit.SECONDS)).as("within 20 s").isTrue();
    }

    /** In a task on another thread: waits as {@link #await} does, keeping an interrupt for the thread. */
    private static void awaitInTask(CountDownLatch latch) {
        try {
            await(latch);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void a_turn_started_by_a_sender_runs_on_the_senders_thread_once_the_sender_is_done() throws Exception {
        AtomicReference<Thread> sender = new AtomicReference<>();
        AtomicReference<Thread> turn = new AtomicReference<>();
        CountDownLatch answered = new CountDownLatch(1);

        threads.forSenders().execute(() -> {
            sender.set(Thread.currentThread());
            threads.execute(() -> {
                turn.set(Thread.currentThread());
                steps.add("turn");
                answered.countDown();
            });
            steps.add("sender done");
        });

        await(answered);
        assertThat(steps).containsExactly("sender done", "turn");
        assertThat(turn.get()).isSameAs(sender.get());
    }

    @Test
    void a_sender_that_waits_for_its_turn_hands_it_to_a_thread_of_its_own_first() throws Exception {
        AtomicReference<Thread> sender = new AtomicReference<>();
        AtomicReference<Thread> turn = new AtomicReference<>();
        CountDownLatch answered = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        threads.forSenders().execute(() -> {
            sender.set(Thread.currentThread());
            threads.execute(() -> {
                turn.set(Thread.currentThread());
                answered.countDown();
            });
            threads.handOffStartedHere();
            awaitInTask(answered); // answered while this sender waits, or never
            if (answered.getCount() == 0) {
                done.countDown();
            }
        });

        await(done);
        assertThat(turn.get()).isNotSameAs(sender.get());
    }

    @Test
    void once_stopped_a_turn_a_sender_starts_is_refused_at_once() throws Exception {
        AtomicReference<Throwable> refused = new AtomicReference<>();
        CountDownLatch senderRunning = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        threads.forSenders().execute(() -> {
            senderRunning.countDown();
            try {
                stopped.await();
            } catch (InterruptedException e) {
                // the stop interrupts this thread; go on as the sender would
            }
            try {
                threads.execute(() -> steps.add("turn"));
            } catch (RejectedExecutionException e) {
                refused.set(e);
            }
            done.countDown();
        });
        await(senderRunning);
        threads.shutdownNow();
        stopped.countDown();

        await(done);
        assertThat(refused.get()).isInstanceOf(RejectedExecutionException.class);
        assertThat(steps).isEmpty();
    }

    @Test
    void a_sender_that_fails_still_has_its_started_turn_answered() throws Exception {
        CountDownLatch answered = new CountDownLatch(1);
        threads.forSenders().execute(() -> {
            threads.execute(answered::countDown);
            throw new IllegalStateException("the answer to the client failed");
        });

        await(answered);
    }

    @Test
    void a_second_turn_started_by_one_sender_gets_a_thread_of_its_own() throws Exception {
        AtomicReference<Thread> sender = new AtomicReference<>();
        AtomicReference<Thread> second = new AtomicReference<>();
        CountDownLatch secondRunning = new CountDownLatch(1);
        CountDownLatch bothRan = new CountDownLatch(2);
        threads.forSenders().execute(() -> {
            sender.set(Thread.currentThread());
            threads.execute(() -> {
                // The first turn waits for the second: they must run at the same time.
                awaitInTask(secondRunning);
                bothRan.countDown();
            });
            threads.execute(() -> {
                second.set(Thread.currentThread());
                secondRunning.countDown();
                bothRan.countDown();
            });
        });

        await(bothRan);
        assertThat(second.get()).isNotSameAs(sender.get());
    }

    @Test
    void a_turn_started_anywhere_else_takes_a_thread_of_its_own() throws Exception {
        AtomicReference<Thread> turn = new AtomicReference<>();
        CountDownLatch answered = new CountDownLatch(1);

        threads.execute(() -> {
            turn.set(Thread.currentThread());
            answered.countDown();
        });
        threads.handOffStartedHere(); // nothing to hand off on this thread

        await(answered);
        assertThat(turn.get()).isNotSameAs(Thread.currentThread());
    }

    @Test
    void senders_beyond_the_limit_are_refused_until_one_is_done_and_all_are_refused_once_stopped() throws Exception {
        Executor senders = threads.forSenders();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(TurnThreads.MAX_SENDERS);
        for (int i = 0; i < TurnThreads.MAX_SENDERS; i++) {
            senders.execute(() -> {
                running.countDown();
                awaitInTask(release);
            });
        }
        await(running);

        assertThatExceptionOfType(RejectedExecutionException.class).isThrownBy(() -> senders.execute(() -> { }));

        release.countDown();
        CountDownLatch accepted = new CountDownLatch(1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (accepted.getCount() > 0) {
            try {
                senders.execute(accepted::countDown);
                await(accepted);
            } catch (RejectedExecutionException stillFull) {
                // the released senders give their places back as they end
                assertThat(System.nanoTime()).as("a place frees within 20 s").isLessThan(deadline);
                Thread.onSpinWait();
            }
        }

        threads.shutdownNow();
        assertThatExceptionOfType(RejectedExecutionException.class).isThrownBy(() -> senders.execute(() -> { }));
    }
}
