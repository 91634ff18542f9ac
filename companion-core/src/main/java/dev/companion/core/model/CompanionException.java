package dev.companion.core.model;

import java.util.Objects;

/**
 * The one unchecked root of every failure the product reports. It carries the wire state and a
 * diagnostic written for the outside, so each adapter can translate it at its own edge. Its message
 * is the diagnostic's message: never a path, a key or an upstream body.
 */
public class CompanionException extends RuntimeException {

    private final CompanionState state;
    private final Diagnostic diagnostic;

    public CompanionException(CompanionState state, Diagnostic diagnostic) {
        this(state, diagnostic, null);
    }

    public CompanionException(CompanionState state, Diagnostic diagnostic, Throwable cause) {
        super(Objects.requireNonNull(diagnostic, "diagnostic").message(), cause);
        this.state = Objects.requireNonNull(state, "state");
        this.diagnostic = diagnostic;
    }

    public CompanionState state() {
        return state;
    }

    public Diagnostic diagnostic() {
        return diagnostic;
    }
}
