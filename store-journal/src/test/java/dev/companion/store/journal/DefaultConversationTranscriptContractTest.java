package dev.companion.store.journal;

import dev.companion.core.model.ConversationId;

/** The default conversation, whose journal is the first release's {@code companion.journal}. */
class DefaultConversationTranscriptContractTest extends CatalogueTranscriptContract {

    @Override
    ConversationId conversation() {
        return ConversationId.DEFAULT;
    }
}
