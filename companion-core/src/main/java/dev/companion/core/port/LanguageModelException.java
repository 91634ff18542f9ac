package dev.companion.core.port;

import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;

import java.time.Duration;
import java.util.Optional;

/**
 * A model call that failed. The state is {@code error}, {@code busy} (the provider asked us to slow
 * down) or {@code timeout}; {@code retriable} says whether trying again may help. The message and
 * diagnostic never carry the upstream's body.
 */
public class LanguageModelException extends CompanionException {

    private final boolean retriable;
    private final transient Duration retryAfter;

    public LanguageModelException(CompanionState state, Diagnostic diagnostic, boolean retriable,
                                  Optional<Duration> retryAfter) {
        super(state, diagnostic);
        if (state != CompanionState.ERROR && state != CompanionState.BUSY && state != CompanionState.TIMEOUT) {
            throw new IllegalArgumentException("a model failure is error, busy or timeout");
        }
        this.retriable = retriable;
        this.retryAfter = retryAfter.orElse(null);
    }

    public static LanguageModelException error(Diagnostic diagnostic, boolean retriable) {
        return new LanguageModelException(CompanionState.ERROR, diagnostic, retriable, Optional.empty());
    }

    public static LanguageModelException busy(Diagnostic diagnostic, Optional<Duration> retryAfter) {
        return new LanguageModelException(CompanionState.BUSY, diagnostic, true, retryAfter);
    }

    public static LanguageModelException timeout(Diagnostic diagnostic) {
        return new LanguageModelException(CompanionState.TIMEOUT, diagnostic, false, Optional.empty());
    }

    public boolean retriable() {
        return retriable;
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
