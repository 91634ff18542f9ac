package dev.companion.core;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;
import dev.companion.core.model.TurnId;

import java.util.Objects;
import java.util.Optional;

/**
 * Stop the running turn, or the named one. A reason, if given, is a short sentence kept for the
 * record (at most 500 characters).
 */
public record CancelCommand(Optional<TurnId> turn, Optional<String> reason) {

    public static final int MAX_REASON_CHARACTERS = 500;

    public CancelCommand {
        Objects.requireNonNull(turn, "turn");
        Objects.requireNonNull(reason, "reason");
        if (reason.isPresent() && reason.get().codePointCount(0, reason.get().length()) > MAX_REASON_CHARACTERS) {
            throw new InvalidRequestException(Diagnostic.error(DiagnosticCode.INVALID_PARAMETER,
                    "The cancel reason is longer than " + MAX_REASON_CHARACTERS + " characters."));
        }
    }

    public static CancelCommand running() {
        return new CancelCommand(Optional.empty(), Optional.empty());
    }

    public static CancelCommand turn(TurnId turn) {
        return new CancelCommand(Optional.of(turn), Optional.empty());
    }
}
