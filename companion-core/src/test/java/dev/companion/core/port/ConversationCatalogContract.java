package dev.companion.core.port;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * What every {@link ConversationCatalog} promises. Extend it with a catalogue made fresh for each
 * test; durable stores also override {@link #reopenCatalog()} to prove what survives a restart.
 * Each conversation's transcript must also pass {@link TranscriptStoreContract}: subclass that with
 * a store taken from {@link ConversationCatalog#transcript}.
 */
public abstract class ConversationCatalogContract {

    /** A new, empty catalogue; each call in one test reaches the same storage. */
    protected abstract ConversationCatalog createCatalog();

    /** The storage of {@link #createCatalog()} opened again after a close, or empty for a store that forgets. */
    protected Optional<ConversationCatalog> reopenCatalog() {
        return Optional.empty();
    }

    protected ConversationCatalog catalog;

    private static final Instant T0 = Instant.parse("2025-03-01T10:15:30.123456789Z");
    private static final ConversationId A = new ConversationId("conversation-a");
    private static final ConversationId B = new ConversationId("conversation-b");

    @BeforeEach
    void openCatalog() {
        catalog = createCatalog();
    }

    @AfterEach
    void closeCatalog() {
        if (catalog != null) {
            catalog.close();
        }
    }

    private static TranscriptEntry user(String content) {
        return new TranscriptEntry(Role.USER, content, T0, "http", ItemStatus.ACCEPTED, new TurnId("turn-1"));
    }

    private static TranscriptEntry reply(String content) {
        return new TranscriptEntry(Role.ASSISTANT, content, T0, "offline", ItemStatus.COMPLETED, new TurnId("turn-1"));
    }

    @Test
    void a_new_catalogue_holds_no_conversation() {
        assertThat(catalog.conversations()).isEmpty();
        assertThat(catalog.find(A)).isEmpty();
    }

    @Test
    void create_keeps_the_id_title_and_time_and_starts_an_empty_transcript() {
        StoredConversation created = catalog.create(A, Optional.of("Trip to Kyoto"), T0);

        assertThat(created).isEqualTo(new StoredConversation(A, Optional.of("Trip to Kyoto"), T0));
        assertThat(catalog.find(A)).contains(created);
        assertThat(catalog.conversations()).containsExactly(created);
        assertThat(catalog.transcript(A).size()).isZero();
    }

    @Test
    void creating_an_id_twice_is_refused_and_keeps_the_first() {
        StoredConversation first = catalog.create(A, Optional.empty(), T0);

        assertThatIllegalArgumentException().isThrownBy(() -> catalog.create(A, Optional.of("again"), T0));

        assertThat(catalog.conversations()).containsExactly(first);
    }

    @Test
    void each_conversation_has_its_own_transcript() {
        catalog.create(A, Optional.empty(), T0);
        catalog.create(B, Optional.empty(), T0);

        catalog.transcript(A).append(user("for a"));
        catalog.transcript(B).append(user("for b, first"));
        catalog.transcript(B).append(user("for b, second"));

        assertThat(catalog.transcript(A).read(0, 10)).extracting(TranscriptItem::content).containsExactly("for a");
        assertThat(catalog.transcript(B).read(0, 10)).extracting(TranscriptItem::content)
                .containsExactly("for b, first", "for b, second");
    }

    @Test
    void the_same_transcript_is_handed_out_each_time() {
        catalog.create(A, Optional.empty(), T0);

        assertThat(catalog.transcript(A)).isSameAs(catalog.transcript(A));
    }

    @Test
    void retitle_changes_only_the_title() {
        catalog.create(A, Optional.empty(), T0);

        StoredConversation renamed = catalog.retitle(A, "Plans");

        assertThat(renamed).isEqualTo(new StoredConversation(A, Optional.of("Plans"), T0));
        assertThat(catalog.find(A)).contains(renamed);
    }

    @Test
    void retitle_and_transcript_of_an_unknown_id_are_refused() {
        assertThatIllegalArgumentException().isThrownBy(() -> catalog.retitle(A, "x"));
        assertThatIllegalArgumentException().isThrownBy(() -> catalog.transcript(A));
    }

    @Test
    void delete_removes_the_conversation_and_its_items_and_leaves_the_others() {
        catalog.create(A, Optional.empty(), T0);
        catalog.create(B, Optional.of("keep"), T0);
        catalog.transcript(A).append(user("gone"));
        catalog.transcript(B).append(user("kept"));

        catalog.delete(A);

        assertThat(catalog.find(A)).isEmpty();
        assertThat(catalog.conversations()).extracting(StoredConversation::id).containsExactly(B);
        assertThat(catalog.transcript(B).read(0, 10)).extracting(TranscriptItem::content).containsExactly("kept");
        catalog.delete(A);
    }

    @Test
    void an_id_created_again_after_delete_starts_empty() {
        catalog.create(A, Optional.empty(), T0);
        catalog.transcript(A).append(user("old words"));
        catalog.delete(A);

        catalog.create(A, Optional.empty(), T0.plusSeconds(5));

        assertThat(catalog.transcript(A).size()).isZero();
        assertThat(catalog.find(A).orElseThrow().createdAt()).isEqualTo(T0.plusSeconds(5));
    }

    @Test
    void search_finds_words_in_titles_and_in_items_ignoring_case() {
        catalog.create(A, Optional.of("Kyoto itinerary"), T0);
        catalog.create(B, Optional.empty(), T0);
        catalog.transcript(B).append(user("What is a good RECIPE for miso soup?"));

        assertThat(catalog.search("kyoto")).containsExactly(A);
        assertThat(catalog.search("recipe")).containsExactly(B);
        assertThat(catalog.search("nothing like this")).isEmpty();
    }

    @Test
    void conversations_titles_and_items_survive_a_reopen() {
        catalog.create(A, Optional.of("first"), T0);
        catalog.create(B, Optional.empty(), T0.plusSeconds(1));
        catalog.retitle(B, "second");
        // Whole turns: a durable store recovers a turn left open as an interrupted reply at the reopen.
        catalog.transcript(A).append(user("kept a"));
        catalog.transcript(A).append(reply("reply a"));
        catalog.transcript(B).append(user("kept b"));
        catalog.transcript(B).append(reply("reply b"));
        catalog.create(new ConversationId("gone"), Optional.empty(), T0);
        catalog.delete(new ConversationId("gone"));
        catalog.close();
        Optional<ConversationCatalog> reopened = reopenCatalog();
        catalog = null;
        if (reopened.isEmpty()) {
            return; // a store that forgets at close promises nothing here
        }
        catalog = reopened.get();

        assertThat(catalog.conversations()).containsExactlyInAnyOrder(
                new StoredConversation(A, Optional.of("first"), T0),
                new StoredConversation(B, Optional.of("second"), T0.plusSeconds(1)));
        assertThat(catalog.transcript(A).read(0, 10)).extracting(TranscriptItem::content)
                .containsExactly("kept a", "reply a");
        assertThat(catalog.transcript(B).read(0, 10)).extracting(TranscriptItem::content)
                .containsExactly("kept b", "reply b");
    }

    @Test
    void close_may_be_called_twice() {
        catalog.create(A, Optional.empty(), T0);
        catalog.close();
        catalog.close();
        catalog = null;
    }

}
