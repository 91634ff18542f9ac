package dev.companion.core.model;

/** Thrown where a denied authority decision must stop a start-up (a profile asking for too much). */
public class AuthorityDeniedException extends CompanionException {

    private final transient AuthorityDecision.Denied decision;

    public AuthorityDeniedException(AuthorityDecision.Denied decision) {
        super(CompanionState.REJECTED, decision.reason());
        this.decision = decision;
    }

    public AuthorityDecision.Denied decision() {
        return decision;
    }
}
