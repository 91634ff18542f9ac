package dev.companion.store.journal;

import dev.companion.core.port.DurableTranscriptStoreContract;
import dev.companion.core.port.TranscriptStore;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

class JournalTranscriptStoreContractTest extends DurableTranscriptStoreContract {

    @TempDir
    Path directory;

    @Override
    protected TranscriptStore createStore() {
        return JournalTranscriptStore.open(directory.resolve("data"), JournalConversationCatalog.Options.defaults());
    }

    @Override
    protected TranscriptStore reopenStore() {
        return createStore();
    }
}
