package dev.companion.runtime;

import dev.companion.core.model.ConversationId;
import dev.companion.core.port.ConversationCatalog;
import dev.companion.core.port.StoredConversation;
import dev.companion.core.port.TranscriptStore;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Conversations kept in memory: gone when the process ends. For tests, embedding and {@code --ephemeral}. */
public final class InMemoryConversationCatalog implements ConversationCatalog {

    private final Map<ConversationId, StoredConversation> conversations = new LinkedHashMap<>();
    private final Map<ConversationId, TranscriptStore> transcripts = new LinkedHashMap<>();

    public InMemoryConversationCatalog() {
    }

    /**
     * A catalogue whose default conversation already exists and is kept in {@code defaultTranscript}
     * (what a runtime built with {@code store(..)} uses); other conversations are kept in memory.
     */
    InMemoryConversationCatalog(TranscriptStore defaultTranscript, Instant createdAt) {
        conversations.put(ConversationId.DEFAULT, new StoredConversation(ConversationId.DEFAULT, Optional.empty(), createdAt));
        transcripts.put(ConversationId.DEFAULT, defaultTranscript);
    }

    @Override
    public synchronized List<StoredConversation> conversations() {
        return List.copyOf(conversations.values());
    }

    @Override
    public synchronized Optional<StoredConversation> find(ConversationId id) {
        return Optional.ofNullable(conversations.get(id));
    }

    @Override
    public synchronized StoredConversation create(ConversationId id, Optional<String> title, Instant createdAt) {
        if (conversations.containsKey(id)) {
            throw new IllegalArgumentException("a conversation with id " + id + " exists");
        }
        StoredConversation created = new StoredConversation(id, title, createdAt);
        conversations.put(id, created);
        transcripts.put(id, new InMemoryTranscriptStore());
        return created;
    }

    @Override
    public synchronized StoredConversation retitle(ConversationId id, String title) {
        StoredConversation was = conversations.get(id);
        if (was == null) {
            throw new IllegalArgumentException("no conversation with id " + id);
        }
        StoredConversation renamed = was.titled(title);
        conversations.put(id, renamed);
        return renamed;
    }

    @Override
    public synchronized void delete(ConversationId id) {
        conversations.remove(id);
        TranscriptStore removed = transcripts.remove(id);
        if (removed != null) {
            removed.close();
        }
    }

    @Override
    public synchronized TranscriptStore transcript(ConversationId id) {
        TranscriptStore transcript = transcripts.get(id);
        if (transcript == null) {
            throw new IllegalArgumentException("no conversation with id " + id);
        }
        return transcript;
    }

    @Override
    public synchronized void close() {
        transcripts.values().forEach(TranscriptStore::close);
    }
}
