package dev.companion.store.journal;

import dev.companion.core.model.ConversationId;
import dev.companion.core.port.DurableTranscriptStoreContract;
import dev.companion.core.port.TranscriptStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * The transcript store contract on a conversation's transcript as the catalogue hands it out; a
 * reopen closes and opens the whole catalogue, as a restart does.
 */
abstract class CatalogueTranscriptContract extends DurableTranscriptStoreContract {

    @TempDir
    Path directory;

    private JournalConversationCatalog catalog;

    abstract ConversationId conversation();

    JournalConversationCatalog.Options options() {
        return JournalConversationCatalog.Options.defaults();
    }

    @Override
    protected TranscriptStore createStore() {
        catalog = JournalConversationCatalog.open(directory.resolve("data"), options());
        if (catalog.find(conversation()).isEmpty()) {
            catalog.create(conversation(), Optional.empty(), Instant.parse("2025-03-01T10:00:00Z"));
        }
        return catalog.transcript(conversation());
    }

    @Override
    protected TranscriptStore reopenStore() {
        catalog.close();
        return createStore();
    }

    @AfterEach
    void closeCatalog() {
        if (catalog != null) {
            catalog.close();
        }
    }
}
