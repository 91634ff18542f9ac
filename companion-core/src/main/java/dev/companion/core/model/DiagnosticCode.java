package dev.companion.core.model;

import java.util.Locale;

/**
 * Every diagnostic code the product emits. The wire form is stable snake_case; each code is
 * explained, with what to do about it, in {@code docs/diagnostics.md}, which a test keeps in step
 * with this list.
 */
public enum DiagnosticCode {
    // turns and messages
    TURN_ACCEPTED,
    TURN_COMPLETED,
    COMPANION_BUSY,
    EMPTY_MESSAGE,
    MESSAGE_TOO_LONG,
    // cancel
    CANCELLED,
    NOT_RUNNING,
    ALREADY_COMPLETED,
    // time limits
    TURN_TIMEOUT,
    // models
    PROVIDER_OFFLINE,
    MODEL_FAILED,
    // transcript paging
    LIMIT_CLAMPED,
    START_PAST_END,
    // authority
    CAPABILITY_DENIED,
    // storage
    STORAGE_WRITE_FAILED,
    STORAGE_READ_FAILED,
    JOURNAL_TAIL_REPAIRED,
    JOURNAL_RECOVERED_INTERRUPTED_REPLY,
    JOURNAL_CORRUPTED,
    JOURNAL_UNSUPPORTED_VERSION,
    DATA_DIRECTORY_LOCKED,
    // HTTP edge
    MALFORMED_JSON,
    INVALID_PARAMETER,
    INVALID_UTF8,
    UNSUPPORTED_MEDIA_TYPE,
    BODY_TOO_LARGE,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    FORBIDDEN_HOST,
    FORBIDDEN_ORIGIN,
    UNAUTHORIZED,
    INTERNAL_ERROR,
    TURN_NOT_FINISHED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
