package dev.companion.core.port;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.TranscriptItem;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Keeps the conversations and, through {@link #transcript}, each one's transcript. Every change is
 * as durable as the store can make it before the call returns; a failure throws
 * {@link StorageException} and changes nothing visible.
 */
public interface ConversationCatalog extends AutoCloseable {

    /** Every conversation kept, in no particular order. */
    List<StoredConversation> conversations();

    Optional<StoredConversation> find(ConversationId id);

    /**
     * Adds a conversation with an empty transcript.
     *
     * @throws IllegalArgumentException when a conversation with that id exists
     */
    StoredConversation create(ConversationId id, Optional<String> title, Instant createdAt);

    /**
     * Gives a conversation a new title.
     *
     * @throws IllegalArgumentException when there is no such conversation
     */
    StoredConversation retitle(ConversationId id, String title);

    /**
     * Removes a conversation and its transcript, files and all. A transcript handed out for it
     * before must not be used again. Deleting a conversation that does not exist changes nothing.
     */
    void delete(ConversationId id);

    /**
     * The conversation's transcript, opened at most once and kept open until the catalogue closes
     * (or the conversation is deleted); the catalogue closes it.
     *
     * @throws IllegalArgumentException when there is no such conversation
     */
    TranscriptStore transcript(ConversationId id);

    /**
     * The ids of the conversations whose title or any item's words contain {@code term}, ignoring
     * case. This default reads every transcript; a store that can search faster should.
     */
    default List<ConversationId> search(String term) {
        String needle = term.toLowerCase(Locale.ROOT);
        List<ConversationId> found = new ArrayList<>();
        for (StoredConversation conversation : conversations()) {
            if (conversation.title().map(t -> t.toLowerCase(Locale.ROOT).contains(needle)).orElse(false)
                    || mentions(transcript(conversation.id()), needle)) {
                found.add(conversation.id());
            }
        }
        return found;
    }

    private static boolean mentions(TranscriptStore transcript, String needle) {
        long size = transcript.size();
        for (long start = 0; start < size; start += 200) {
            for (TranscriptItem item : transcript.read(start, 200)) {
                if (item.content().toLowerCase(Locale.ROOT).contains(needle)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Notes from opening the store (a repaired tail, a permissive directory), shown in status. */
    default List<Diagnostic> diagnostics() {
        return List.of();
    }

    @Override
    void close();
}
