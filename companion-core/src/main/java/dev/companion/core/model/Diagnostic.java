package dev.companion.core.model;

import java.util.Objects;

/**
 * One explained fact about an outcome: a stable code, how much it matters, and a sentence for a
 * person. The message is written for the outside: it never carries a path, a key or a stack trace.
 */
public record Diagnostic(DiagnosticCode code, Severity severity, String message) {

    public Diagnostic {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(message, "message");
        if (message.isBlank()) {
            throw new IllegalArgumentException("a diagnostic needs a message");
        }
    }

    public static Diagnostic info(DiagnosticCode code, String message) {
        return new Diagnostic(code, Severity.INFO, message);
    }

    public static Diagnostic warning(DiagnosticCode code, String message) {
        return new Diagnostic(code, Severity.WARNING, message);
    }

    public static Diagnostic error(DiagnosticCode code, String message) {
        return new Diagnostic(code, Severity.ERROR, message);
    }
}
