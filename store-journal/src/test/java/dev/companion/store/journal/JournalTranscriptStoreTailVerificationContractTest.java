package dev.companion.store.journal;

import dev.companion.core.port.DurableTranscriptStoreContract;
import dev.companion.core.port.TranscriptStore;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The same promises when the journal is opened checking only its tail, with one force per append. */
class JournalTranscriptStoreTailVerificationContractTest extends DurableTranscriptStoreContract {

    @TempDir
    Path directory;

    @Override
    protected TranscriptStore createStore() {
        return JournalTranscriptStore.open(directory.resolve("data"), JournalConversationCatalog.Options.defaults()
                .withVerification(JournalConversationCatalog.Verification.TAIL)
                .withCommit(JournalConversationCatalog.Commit.EACH));
    }

    @Override
    protected TranscriptStore reopenStore() {
        return createStore();
    }
}
