package dev.companion.store.journal;

import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.StorageException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.companion.store.journal.JournalFixtures.journal;
import static dev.companion.store.journal.JournalFixtures.quiet;
import static dev.companion.store.journal.JournalFixtures.reply;
import static dev.companion.store.journal.JournalFixtures.user;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** A disk that fails under the journal: nothing half-written is acknowledged or seen after a restart. */
class JournalFaultTest {

    @TempDir
    Path temp;

    private Path directory;
    private final FaultyFiles files = new FaultyFiles();
    private JournalTranscriptStore store;
    private final List<TranscriptItem> before = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeEach
    void openWithTwoItems() {
        directory = temp.resolve("data");
        store = JournalTranscriptStore.open(directory, quiet(), files);
        TurnId turn = new TurnId("turn-0");
        before.add(store.append(user(turn, "question")));
        before.add(store.append(reply(turn, "answer")));
        files.resetCounts();
    }

    @AfterEach
    void closeAll() {
        files.heal();
        pool.shutdownNow();
        if (store != null) {
            store.close();
        }
    }

    private JournalTranscriptStore reopen() {
        store.close();
        store = null;
        files.heal();
        store = JournalTranscriptStore.open(directory, quiet(), files);
        return store;
    }

    private void assertWriteFailed(Runnable append) {
        assertThatExceptionOfType(StorageException.class)
                .isThrownBy(append::run)
                .satisfies(e -> {
                    assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.STORAGE_WRITE_FAILED);
                    assertThat(e.getMessage()).doesNotContain(temp.toString()).doesNotContain("companion.journal");
                });
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void a_failed_write_is_not_acknowledged_and_leaves_nothing_behind(boolean halfWritten) throws Exception {
        long sizeBefore = Files.size(journal(directory));
        files.failWrites = true;
        files.writeHalfBeforeFailing = halfWritten;

        assertWriteFailed(() -> store.append(user(new TurnId("turn-1"), "lost")));

        assertThat(store.size()).isEqualTo(2);
        assertThat(Files.size(journal(directory))).isEqualTo(sizeBefore);
        assertThat(reopen().read(0, 10)).containsExactlyElementsOf(before);
        assertThat(store.diagnostics()).isEmpty();
    }

    @Test
    void the_store_keeps_working_once_the_disk_recovers() {
        files.failWrites = true;
        assertWriteFailed(() -> store.append(user(new TurnId("turn-1"), "lost")));
        files.heal();

        TranscriptItem next = store.append(reply(new TurnId("turn-1"), "kept"));

        assertThat(next.sequence()).isEqualTo(2);
        assertThat(reopen().read(0, 10)).containsExactly(before.get(0), before.get(1), next);
    }

    @Test
    void a_failed_force_is_not_acknowledged_and_the_record_is_cut_back() throws Exception {
        long sizeBefore = Files.size(journal(directory));
        files.failForces = true;

        assertWriteFailed(() -> store.append(user(new TurnId("turn-1"), "not durable")));

        assertThat(store.size()).isEqualTo(2);
        assertThat(store.read(0, 10)).containsExactlyElementsOf(before);
        assertThat(Files.size(journal(directory))).isEqualTo(sizeBefore);
        files.heal();
        TranscriptItem next = store.append(reply(new TurnId("turn-2"), "durable"));
        assertThat(next.sequence()).isEqualTo(2);
        assertThat(reopen().read(0, 10)).containsExactly(before.get(0), before.get(1), next);
        assertThat(store.diagnostics()).isEmpty();
    }

    @Test
    void when_even_the_cut_back_fails_the_store_refuses_further_appends_and_the_half_record_is_repaired_at_start() {
        files.failWrites = true;
        files.writeHalfBeforeFailing = true;
        files.failTruncates = true;
        assertWriteFailed(() -> store.append(user(new TurnId("turn-1"), "half")));
        files.heal();
        int writes = files.journalWrites.get();

        assertWriteFailed(() -> store.append(user(new TurnId("turn-2"), "after")));
        assertThat(files.journalWrites.get()).as("fails fast, writes nothing").isEqualTo(writes);

        assertThat(reopen().read(0, 10)).containsExactlyElementsOf(before);
        assertThat(store.diagnostics()).extracting(d -> d.code()).containsExactly(DiagnosticCode.JOURNAL_TAIL_REPAIRED);
    }

    @Test
    void reply_progress_on_a_failing_disk_never_throws() {
        TurnId turn = new TurnId("turn-1");
        store.append(user(turn, "go"));
        files.failWrites = true;

        for (int i = 0; i < 2000; i++) {
            store.recordReplyProgress(turn, "abc");
        }

        assertThat(store.size()).isEqualTo(3);
    }

    @Test
    void appends_waiting_during_a_force_share_the_next_one() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        files.forceGate = gate;
        Future<TranscriptItem> leader = pool.submit(() -> store.append(user(new TurnId("a"), "a")));
        assertThat(files.forceEntered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
        files.written.drainPermits();
        Future<TranscriptItem> second = pool.submit(() -> store.append(user(new TurnId("b"), "b")));
        Future<TranscriptItem> third = pool.submit(() -> store.append(user(new TurnId("c"), "c")));
        assertThat(files.written.tryAcquire(2, 10, TimeUnit.SECONDS)).as("both waiting appends wrote").isTrue();
        files.forceGate = null;

        gate.countDown();

        leader.get(10, TimeUnit.SECONDS);
        second.get(10, TimeUnit.SECONDS);
        third.get(10, TimeUnit.SECONDS);
        assertThat(files.journalForces.get()).as("one force for the leader, one shared by the two others").isEqualTo(2);
        assertThat(store.size()).isEqualTo(5);
    }

    @Test
    void a_failed_shared_force_fails_every_append_written_since_the_last_durable_one() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        files.forceGate = gate;
        files.failForces = true;
        CompletableFuture<TranscriptItem> leader =
                CompletableFuture.supplyAsync(() -> store.append(user(new TurnId("a"), "a")), pool);
        assertThat(files.forceEntered.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
        files.written.drainPermits();
        CompletableFuture<TranscriptItem> waiting =
                CompletableFuture.supplyAsync(() -> store.append(user(new TurnId("b"), "b")), pool);
        assertThat(files.written.tryAcquire(1, 10, TimeUnit.SECONDS)).isTrue();

        gate.countDown();

        for (CompletableFuture<TranscriptItem> append : List.of(leader, waiting)) {
            assertThatExceptionOfType(java.util.concurrent.ExecutionException.class)
                    .isThrownBy(() -> append.get(10, TimeUnit.SECONDS))
                    .withCauseInstanceOf(StorageException.class);
        }
        assertThat(store.size()).isEqualTo(2);
        assertThat(reopen().read(0, 10)).containsExactlyElementsOf(before);
        assertThat(store.diagnostics()).isEmpty();
    }

    @Test
    void an_interrupted_caller_does_not_break_the_journal_for_others() throws Exception {
        Future<TranscriptItem> interrupted = pool.submit(() -> {
            Thread.currentThread().interrupt();
            TranscriptItem item = store.append(reply(new TurnId("x"), "from an interrupted thread"));
            assertThat(Thread.currentThread().isInterrupted()).as("the flag is kept for the caller").isTrue();
            return item;
        });
        assertThat(interrupted.get(10, TimeUnit.SECONDS).sequence()).isEqualTo(2);

        assertThat(store.append(reply(new TurnId("y"), "next")).sequence()).isEqualTo(3);
        assertThat(reopen().size()).isEqualTo(4);
    }
}
