package dev.companion.core.port;

import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * What every {@link TranscriptStore} promises. Extend it with a store made fresh for each test;
 * durable stores extend {@link DurableTranscriptStoreContract}, which adds the promises about reopening.
 */
public abstract class TranscriptStoreContract {

    /** A new, empty store; each call in one test reaches the same storage. */
    protected abstract TranscriptStore createStore();

    protected TranscriptStore store;

    @BeforeEach
    void openStore() {
        store = createStore();
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    // --- fixtures -----------------------------------------------------------------------------

    protected static final Instant T0 = Instant.parse("2025-03-01T10:15:30.123456789Z");

    protected static TranscriptEntry user(TurnId turn, String content) {
        return new TranscriptEntry(Role.USER, content, T0, "http", ItemStatus.ACCEPTED, turn);
    }

    protected static TranscriptEntry reply(TurnId turn, String content, ItemStatus status) {
        return new TranscriptEntry(Role.ASSISTANT, content, T0.plusSeconds(1), "offline", status, turn);
    }

    /** Appends {@code turns} complete turns (user item and completed reply) and returns the items. */
    protected List<TranscriptItem> appendTurns(TranscriptStore target, int turns) {
        List<TranscriptItem> items = new ArrayList<>();
        for (int i = 0; i < turns; i++) {
            TurnId turn = new TurnId("turn-" + i);
            items.add(target.append(user(turn, "question " + i)));
            items.add(target.append(reply(turn, "answer " + i, ItemStatus.COMPLETED)));
        }
        return items;
    }

    // --- empty --------------------------------------------------------------------------------

    @Test
    void a_new_store_is_empty() {
        assertThat(store.size()).isZero();
        assertThat(store.read(0, 10)).isEmpty();
    }

    @Test
    void a_new_store_reports_no_diagnostics() {
        assertThat(store.diagnostics()).isEmpty();
    }

    // --- append and sequence ------------------------------------------------------------------

    @Test
    void append_numbers_items_from_zero_in_the_order_appended() {
        TurnId turn = new TurnId("turn-a");
        TranscriptItem first = store.append(user(turn, "hello"));
        TranscriptItem second = store.append(reply(turn, "hi", ItemStatus.COMPLETED));

        assertThat(first.sequence()).isZero();
        assertThat(second.sequence()).isEqualTo(1);
        assertThat(store.size()).isEqualTo(2);
    }

    @Test
    void append_returns_the_entry_at_its_sequence() {
        TranscriptEntry entry = user(new TurnId("turn-a"), "hello");

        assertThat(store.append(entry)).isEqualTo(entry.at(0));
    }

    @Test
    void read_gives_back_every_field_as_appended() {
        TurnId turn = new TurnId("turn_Z-9");
        List<TranscriptEntry> entries = List.of(
                user(turn, "héllo 世界 🙂\nsecond line\ttab"),
                reply(turn, "", ItemStatus.FAILED),
                reply(turn, "x".repeat(100_000), ItemStatus.CANCELLED),
                new TranscriptEntry(Role.ASSISTANT, "late", Instant.EPOCH, "anthropic", ItemStatus.TIMEOUT, turn),
                reply(turn, "cut", ItemStatus.INCOMPLETE),
                reply(turn, "lost", ItemStatus.INTERRUPTED),
                new TranscriptEntry(Role.ASSISTANT, "thought first", T0, "openai", ItemStatus.TRUNCATED, turn,
                        new dev.companion.core.model.ReplyDetails("Let me think… 🤔\nstep two",
                                java.util.Optional.of(java.time.Duration.ofMillis(12_345)),
                                java.util.Optional.of(new dev.companion.core.model.TokenUsage(1200, 340, 210)),
                                List.of(dev.companion.core.model.Diagnostic.warning(
                                        dev.companion.core.model.DiagnosticCode.PROVIDER_REPLY_TRUNCATED,
                                        "The reply reached the output limit and was cut.")))),
                reply(turn, "filtered", ItemStatus.FILTERED),
                reply(turn, "refused", ItemStatus.REFUSED));
        entries.forEach(store::append);

        List<TranscriptItem> expected = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            expected.add(entries.get(i).at(i));
        }
        assertThat(store.read(0, 100)).containsExactlyElementsOf(expected);
    }

    @Test
    void size_counts_every_append() {
        appendTurns(store, 7);

        assertThat(store.size()).isEqualTo(14);
    }

    @Test
    void concurrent_appends_get_distinct_sequences_and_are_read_in_sequence_order() throws Exception {
        int threads = 8;
        int perThread = 25;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<TranscriptItem> returned = new ConcurrentLinkedQueue<>();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    for (int i = 0; i < perThread; i++) {
                        returned.add(store.append(user(new TurnId("t" + thread + "-" + i), "m " + thread + " " + i)));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        int total = threads * perThread;
        assertThat(store.size()).isEqualTo(total);
        List<TranscriptItem> read = store.read(0, total);
        assertThat(read).extracting(TranscriptItem::sequence)
                .containsExactlyElementsOf(java.util.stream.LongStream.range(0, total).boxed().toList());
        assertThat(read).containsExactlyInAnyOrderElementsOf(returned);
    }

    // --- read paging edges --------------------------------------------------------------------

    @Test
    void read_returns_at_most_limit_items_from_start() {
        List<TranscriptItem> items = appendTurns(store, 5);

        assertThat(store.read(2, 3)).containsExactlyElementsOf(items.subList(2, 5));
    }

    @Test
    void read_stops_at_the_end_when_the_limit_reaches_past_it() {
        List<TranscriptItem> items = appendTurns(store, 3);

        assertThat(store.read(4, 10)).containsExactlyElementsOf(items.subList(4, 6));
    }

    @Test
    void read_of_the_last_item_alone() {
        List<TranscriptItem> items = appendTurns(store, 3);

        assertThat(store.read(5, 1)).containsExactly(items.get(5));
    }

    @Test
    void read_at_or_past_the_end_is_empty() {
        appendTurns(store, 2);

        assertThat(store.read(4, 10)).isEmpty();
        assertThat(store.read(5, 10)).isEmpty();
        assertThat(store.read(Long.MAX_VALUE, 10)).isEmpty();
    }

    @Test
    void read_with_a_limit_of_zero_is_empty() {
        appendTurns(store, 2);

        assertThat(store.read(0, 0)).isEmpty();
    }

    @Test
    void read_with_the_largest_limit_does_not_overflow() {
        List<TranscriptItem> items = appendTurns(store, 2);

        assertThat(store.read(1, Integer.MAX_VALUE)).containsExactlyElementsOf(items.subList(1, 4));
    }

    @Test
    void read_with_a_negative_start_is_refused() {
        appendTurns(store, 1);

        assertThatIllegalArgumentException().isThrownBy(() -> store.read(-1, 10));
    }

    @Test
    void a_page_read_earlier_does_not_change_with_later_appends() {
        appendTurns(store, 1);
        List<TranscriptItem> page = store.read(0, 10);

        appendTurns(store, 1);

        assertThat(page).hasSize(2);
    }

    @Test
    void every_page_of_a_long_transcript_joins_up_to_the_whole() {
        List<TranscriptItem> items = appendTurns(store, 50);
        List<TranscriptItem> joined = new ArrayList<>();

        for (long start = 0; start < store.size(); start += 7) {
            joined.addAll(store.read(start, 7));
        }

        assertThat(joined).containsExactlyElementsOf(items);
    }

    // --- reply progress -----------------------------------------------------------------------

    @Test
    void reply_progress_adds_no_item() {
        TurnId turn = new TurnId("turn-a");
        store.append(user(turn, "hello"));

        store.recordReplyProgress(turn, "Hel");
        store.recordReplyProgress(turn, "lo");

        assertThat(store.size()).isEqualTo(1);
    }

    @Test
    void reply_progress_never_throws_even_for_odd_input() {
        store.recordReplyProgress(new TurnId("never-started"), "text");
        store.recordReplyProgress(new TurnId("never-started"), "");
        store.recordReplyProgress(null, null);

        assertThat(store.size()).isZero();
    }

    @Test
    void a_completed_reply_after_progress_is_stored_once() {
        TurnId turn = new TurnId("turn-a");
        store.append(user(turn, "hello"));
        store.recordReplyProgress(turn, "Hel");
        TranscriptItem done = store.append(reply(turn, "Hello", ItemStatus.COMPLETED));

        assertThat(store.read(0, 10)).hasSize(2).last().isEqualTo(done);
    }

    // --- supersede ----------------------------------------------------------------------------

    @Test
    void supersede_marks_only_the_items_named_and_changes_nothing_else_about_them() {
        List<TranscriptItem> items = appendTurns(store, 2);

        store.supersede(java.util.Set.of(1L, 2L));

        List<TranscriptItem> read = store.read(0, 10);
        assertThat(read).hasSize(4);
        assertThat(read.get(0)).isEqualTo(items.get(0));
        assertThat(read.get(3)).isEqualTo(items.get(3));
        for (int i : new int[] {1, 2}) {
            TranscriptItem was = items.get(i);
            assertThat(read.get(i)).isEqualTo(was.withStatus(ItemStatus.SUPERSEDED));
        }
        assertThat(store.size()).isEqualTo(4);
    }

    @Test
    void supersede_twice_changes_nothing_more_and_appends_continue_the_sequence() {
        appendTurns(store, 1);
        store.supersede(java.util.Set.of(1L));
        store.supersede(java.util.Set.of(1L));

        TranscriptItem next = store.append(reply(new TurnId("turn-0b"), "again", ItemStatus.COMPLETED));

        assertThat(next.sequence()).isEqualTo(2);
        assertThat(store.read(0, 10)).extracting(TranscriptItem::status)
                .containsExactly(ItemStatus.ACCEPTED, ItemStatus.SUPERSEDED, ItemStatus.COMPLETED);
    }

    @Test
    void supersede_of_a_sequence_not_held_is_refused_and_changes_nothing() {
        List<TranscriptItem> items = appendTurns(store, 1);

        assertThatIllegalArgumentException().isThrownBy(() -> store.supersede(java.util.Set.of(0L, 2L)));
        assertThatIllegalArgumentException().isThrownBy(() -> store.supersede(java.util.Set.of(-1L)));

        assertThat(store.read(0, 10)).containsExactlyElementsOf(items);
    }

    // --- close --------------------------------------------------------------------------------

    @Test
    void close_may_be_called_twice() {
        appendTurns(store, 1);
        store.close();
        store.close();
        store = null;
    }
}
