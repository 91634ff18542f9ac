package dev.companion.core.port;

import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What a store that outlives its process promises beyond {@link TranscriptStoreContract}. */
public abstract class DurableTranscriptStoreContract extends TranscriptStoreContract {

    /** Opens the storage that {@link #createStore()} made, after the previous store was closed. */
    protected abstract TranscriptStore reopenStore();

    /** Closes the current store and opens its storage again. */
    protected TranscriptStore reopen() {
        store.close();
        store = reopenStore();
        return store;
    }

    @Test
    void items_survive_a_reopen_unchanged() {
        List<TranscriptItem> items = appendTurns(store, 5);

        reopen();

        assertThat(store.size()).isEqualTo(10);
        assertThat(store.read(0, 100)).containsExactlyElementsOf(items);
    }

    @Test
    void an_empty_store_reopens_empty() {
        reopen();

        assertThat(store.size()).isZero();
        assertThat(store.read(0, 10)).isEmpty();
        assertThat(store.diagnostics()).isEmpty();
    }

    @Test
    void appends_after_a_reopen_continue_the_sequence() {
        appendTurns(store, 2);
        reopen();

        TranscriptItem next = store.append(user(new TurnId("after"), "again"));

        assertThat(next.sequence()).isEqualTo(4);
        assertThat(store.read(4, 1)).containsExactly(next);
    }

    @Test
    void pages_read_the_same_after_many_reopens() {
        List<TranscriptItem> items = appendTurns(store, 20);
        for (int i = 0; i < 3; i++) {
            reopen();
        }

        assertThat(store.read(0, 5)).containsExactlyElementsOf(items.subList(0, 5));
        assertThat(store.read(17, 5)).containsExactlyElementsOf(items.subList(17, 22));
        assertThat(store.read(38, 5)).containsExactlyElementsOf(items.subList(38, 40));
    }

    @Test
    void a_clean_reopen_after_finished_turns_reports_nothing() {
        TurnId turn = new TurnId("turn-a");
        store.append(user(turn, "hello"));
        store.recordReplyProgress(turn, "Hel");
        store.append(reply(turn, "Hello", ItemStatus.COMPLETED));

        reopen();

        assertThat(store.size()).isEqualTo(2);
        assertThat(store.diagnostics()).isEmpty();
    }

    @Test
    void a_reply_still_streaming_at_close_reopens_interrupted_with_its_text() {
        TurnId turn = new TurnId("turn-a");
        store.append(user(turn, "hello"));
        store.recordReplyProgress(turn, "Hel");
        store.recordReplyProgress(turn, "lo, wor");

        reopen();

        assertThat(store.size()).isEqualTo(2);
        TranscriptItem recovered = store.read(1, 1).get(0);
        assertThat(recovered.role()).isEqualTo(Role.ASSISTANT);
        assertThat(recovered.status()).isEqualTo(ItemStatus.INTERRUPTED);
        assertThat(recovered.turnId()).isEqualTo(turn);
        assertThat(recovered.content()).isEqualTo("Hello, wor");
        assertThat(store.diagnostics()).isNotEmpty();
    }

    @Test
    void a_recovered_reply_is_recovered_only_once() {
        TurnId turn = new TurnId("turn-a");
        store.append(user(turn, "hello"));
        store.recordReplyProgress(turn, "Hel");
        reopen();

        reopen();

        assertThat(store.size()).isEqualTo(2);
        assertThat(store.diagnostics()).isEmpty();
    }

    @Test
    void superseded_items_stay_superseded_after_a_reopen() {
        List<TranscriptItem> items = appendTurns(store, 2);
        store.supersede(java.util.Set.of(3L));

        reopen();

        assertThat(store.read(0, 10)).extracting(TranscriptItem::status).containsExactly(
                ItemStatus.ACCEPTED, ItemStatus.COMPLETED, ItemStatus.ACCEPTED, ItemStatus.SUPERSEDED);
        assertThat(store.read(3, 1).get(0).content()).isEqualTo(items.get(3).content());
        assertThat(store.diagnostics()).isEmpty();
    }
}
