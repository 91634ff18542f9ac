package dev.companion.store.journal;

import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.companion.store.journal.JournalFixtures.quiet;
import static dev.companion.store.journal.JournalFixtures.reply;
import static dev.companion.store.journal.JournalFixtures.user;
import static org.assertj.core.api.Assertions.assertThat;

/** Reply progress and the periodic sync: a stored reply is never recovered a second time. */
class JournalProgressRaceTest {

    @TempDir
    Path temp;

    /**
     * The periodic sync runs while the reply's force is in flight (the store's lock is let go during
     * a force). Had the replied turn's buffered progress still been there, the sync would write it
     * after the reply, and the next start would recover the answered turn again as interrupted.
     */
    @Test
    void a_sync_during_the_replys_force_leaves_no_progress_to_recover_after_a_clean_restart() throws Exception {
        Path dir = temp.resolve("data");
        FaultyFiles files = new FaultyFiles();
        JournalTranscriptStore store = JournalTranscriptStore.open(dir, quiet(), files);
        TurnId turn = new TurnId("turn-1");
        store.append(user(turn, "question"));
        store.recordReplyProgress(turn, "partial ");   // buffered, < 4096 chars

        CountDownLatch gate = new CountDownLatch(1);
        files.resetCounts();
        files.forceGate = gate;
        CompletableFuture<TranscriptItem> replied = CompletableFuture.supplyAsync(() -> store.append(reply(turn, "partial answer")));
        assertThat(files.forceEntered.tryAcquire(5, TimeUnit.SECONDS)).isTrue();  // the reply is written, its force runs (lock released)
        Thread syncer = new Thread(store::sync, "test-syncer");   // what the periodic syncer does every 500 ms
        syncer.start();
        // The sync has done its writing once it waits for the force in flight to end.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (syncer.getState() != Thread.State.WAITING && syncer.getState() != Thread.State.TIMED_WAITING) {
            assertThat(System.nanoTime()).as("the sync reached the force in flight").isLessThan(deadline);
            Thread.onSpinWait();
        }
        files.forceGate = null;
        gate.countDown();
        replied.get(5, TimeUnit.SECONDS);
        syncer.join(5_000);
        assertThat(store.size()).isEqualTo(2);
        store.close();   // a clean shutdown

        JournalTranscriptStore reopened = JournalTranscriptStore.open(dir, quiet(), files);
        List<TranscriptItem> items = reopened.read(0, 10);
        List<dev.companion.core.model.Diagnostic> diagnostics = reopened.diagnostics();
        reopened.close();
        assertThat(items).extracting(TranscriptItem::status).containsExactly(ItemStatus.ACCEPTED, ItemStatus.COMPLETED);
        assertThat(diagnostics).isEmpty();
    }
}
