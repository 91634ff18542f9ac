package dev.companion.core.model;

/** Input that can never be accepted as given: the caller must change it. Nothing was changed. */
public class InvalidRequestException extends CompanionException {

    public InvalidRequestException(Diagnostic diagnostic) {
        super(CompanionState.REJECTED, diagnostic);
    }
}
