package dev.companion.store.journal;

import dev.companion.core.model.ConversationId;

/** The same promises when journals are opened checking only their tail, with one force per append. */
class OtherConversationTailVerificationContractTest extends CatalogueTranscriptContract {

    @Override
    ConversationId conversation() {
        return new ConversationId("tail_checked");
    }

    @Override
    JournalConversationCatalog.Options options() {
        return JournalConversationCatalog.Options.defaults()
                .withVerification(JournalConversationCatalog.Verification.TAIL)
                .withCommit(JournalConversationCatalog.Commit.EACH);
    }
}
