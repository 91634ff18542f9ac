package dev.companion.store.journal;

import dev.companion.core.port.ConversationCatalog;
import dev.companion.core.port.ConversationCatalogContract;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;

class JournalConversationCatalogContractTest extends ConversationCatalogContract {

    @TempDir
    Path directory;

    @Override
    protected ConversationCatalog createCatalog() {
        return JournalConversationCatalog.open(directory.resolve("data"), JournalConversationCatalog.Options.defaults());
    }

    @Override
    protected Optional<ConversationCatalog> reopenCatalog() {
        return Optional.of(createCatalog());
    }
}
