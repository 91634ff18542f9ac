package dev.companion.store.postgres;

import dev.companion.core.model.ConversationId;
import dev.companion.core.port.DurableTranscriptStoreContract;
import dev.companion.core.port.TranscriptStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The transcript contract, durable part included, on a real PostgreSQL. Each test gets a conversation
 * of its own in the class's database; reopening is a new catalogue (a new pool) on the same database,
 * as a restarted server, or another server, would open it.
 */
class PostgresTranscriptStoreContractTest extends DurableTranscriptStoreContract {

    @RegisterExtension
    static final PostgresDatabase DATABASE = PostgresDatabase.migrated();

    private static final AtomicInteger CONVERSATIONS = new AtomicInteger();

    private ConversationId conversation;
    private PostgresConversationCatalog catalog;

    @Override
    protected TranscriptStore createStore() {
        if (catalog == null) {
            catalog = PostgresConversationCatalog.open(DATABASE.settings());
            conversation = new ConversationId("contract-" + CONVERSATIONS.incrementAndGet());
            catalog.create(conversation, Optional.empty(), Instant.parse("2025-03-01T10:00:00Z"));
        }
        return catalog.transcript(conversation);
    }

    @Override
    protected TranscriptStore reopenStore() {
        catalog.close();
        catalog = PostgresConversationCatalog.open(DATABASE.settings());
        return catalog.transcript(conversation);
    }

    @AfterEach
    void closeCatalog() {
        if (catalog != null) {
            catalog.close();
        }
    }
}
