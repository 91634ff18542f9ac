package dev.companion.core.port;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;

import java.util.List;
import java.util.Set;

/**
 * Keeps one conversation's transcript (a {@link ConversationCatalog} hands out one per conversation): append-only, items numbered from 0 in the order appended. {@link #append}
 * returns only once the item is as durable as the store can make it; a failure throws
 * {@link StorageException} and leaves no visible half item.
 */
public interface TranscriptStore extends AutoCloseable {

    /** Appends the entry at the next sequence and returns the stored item. */
    TranscriptItem append(TranscriptEntry entry);

    /**
     * Marks the items at these sequences {@code superseded} (a regenerate or edit replaced them), as
     * durably as {@link #append}: a later {@link #read} returns them with that status, everything else
     * about them unchanged. Marking an item already superseded changes nothing.
     *
     * @throws IllegalArgumentException for a sequence the transcript does not hold
     */
    void supersede(Set<Long> sequences);

    /** How many items the transcript holds. */
    long size();

    /** Up to {@code limit} items starting at sequence {@code start}, oldest first. */
    List<TranscriptItem> read(long start, int limit);

    /**
     * A piece of a reply still streaming. A durable store may keep it so a reply cut short by a crash
     * can be recovered; the reply itself is appended when the turn ends. Best effort: never throws.
     */
    default void recordReplyProgress(TurnId turn, String delta) {
    }

    /** Notes from opening the store (a repaired tail, say), shown in status. */
    default List<Diagnostic> diagnostics() {
        return List.of();
    }

    @Override
    void close();
}
