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
    MESSAGE_CONTAINS_NUL,
    TOO_MANY_RUNNING_TURNS,
    NOTHING_TO_REGENERATE,
    NOTHING_TO_EDIT,
    // conversations
    CONVERSATION_NOT_FOUND,
    // cancel
    CANCELLED,
    NOT_RUNNING,
    ALREADY_COMPLETED,
    // time limits
    TURN_TIMEOUT,
    TURN_INTERRUPTED,
    // models
    PROVIDER_OFFLINE,
    MODEL_FAILED,
    // providers (adapter-llm)
    PROVIDER_NOT_CONFIGURED,
    PROVIDER_AUTH_FAILED,
    PROVIDER_MODEL_NOT_FOUND,
    PROVIDER_RATE_LIMITED,
    PROVIDER_QUOTA_EXCEEDED,
    PROVIDER_UNAVAILABLE,
    PROVIDER_REQUEST_REJECTED,
    PROVIDER_STREAM_INTERRUPTED,
    PROVIDER_EMPTY_RESPONSE,
    PROVIDER_MALFORMED_RESPONSE,
    PROVIDER_CONNECT_TIMEOUT,
    PROVIDER_FIRST_TOKEN_TIMEOUT,
    PROVIDER_IDLE_TIMEOUT,
    PROVIDER_TOTAL_TIMEOUT,
    HISTORY_TRUNCATED,
    PROVIDER_REPLY_TRUNCATED,
    PROVIDER_REPLY_FILTERED,
    PROVIDER_REPLY_REFUSED,
    PROVIDER_CONTEXT_TOO_LONG,
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
    STORE_UNAVAILABLE,
    STORE_SCHEMA_OUTDATED,
    DATA_DIRECTORY_PERMISSIVE,
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
    TURN_NOT_FINISHED,
    // connecting and serving
    SERVER_UNREACHABLE,
    PORT_IN_USE,
    BIND_FAILED,
    // event stream
    EVENTS_DROPPED,
    EVENT_STREAMS_FULL;

    /** Made once: a wire name is written for every event and every answer. */
    private final String wireName = name().toLowerCase(Locale.ROOT);

    public String wireName() {
        return wireName;
    }
}
