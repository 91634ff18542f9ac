package dev.companion.store.journal;

import dev.companion.core.model.ConversationId;

/** A conversation of its own, in {@code conversations/<id>.journal}. */
class OtherConversationTranscriptContractTest extends CatalogueTranscriptContract {

    @Override
    ConversationId conversation() {
        return new ConversationId("c-3f1d0b6e-7a3c-4f7e-9a51-0c2b8d4e6f10");
    }
}
