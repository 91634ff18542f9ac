package dev.companion.core.model;

/** No conversation has the id asked for (never created, or deleted). */
public class ConversationNotFoundException extends CompanionException {

    private final ConversationId id;

    public ConversationNotFoundException(ConversationId id) {
        super(CompanionState.REJECTED, Diagnostic.error(DiagnosticCode.CONVERSATION_NOT_FOUND,
                "There is no conversation with that id; it may have been deleted."));
        this.id = id;
    }

    public ConversationId id() {
        return id;
    }
}
