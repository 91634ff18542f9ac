package dev.companion.adapter.http;

import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;

import java.util.Map;
import java.util.Objects;

/**
 * A request this edge refuses, with its HTTP status and the diagnostic for the body. Thrown from
 * deep inside request parsing and answered by {@link FailureHandler}; nothing was changed.
 */
final class Rejection extends RuntimeException {

    private final int status;
    private final transient Diagnostic diagnostic;
    private final transient Map<String, String> headers;

    Rejection(int status, Diagnostic diagnostic, Map<String, String> headers) {
        super(diagnostic.message(), null, false, false);
        this.status = status;
        this.diagnostic = Objects.requireNonNull(diagnostic);
        this.headers = Map.copyOf(headers);
    }

    Rejection(int status, DiagnosticCode code, String message) {
        this(status, Diagnostic.error(code, message), Map.of());
    }

    int status() {
        return status;
    }

    Diagnostic diagnostic() {
        return diagnostic;
    }

    Map<String, String> headers() {
        return headers;
    }

    CompanionState state() {
        return status >= 500 ? CompanionState.ERROR : CompanionState.REJECTED;
    }

    static Rejection malformedJson(String message) {
        return new Rejection(400, DiagnosticCode.MALFORMED_JSON, message);
    }

    static Rejection invalidParameter(String message) {
        return new Rejection(400, DiagnosticCode.INVALID_PARAMETER, message);
    }
}
