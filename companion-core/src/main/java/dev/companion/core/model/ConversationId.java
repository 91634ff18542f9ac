package dev.companion.core.model;

import java.util.Objects;

/**
 * Names one conversation. The conversation every earlier release kept (one transcript per data
 * directory) is {@link #DEFAULT}; new ones get a random id. An id is safe in a URL path and a file
 * name: 1 to 64 letters, digits, {@code -} or {@code _}.
 */
public record ConversationId(String value) {

    /** The conversation {@code /api/companion/*} and the clients of earlier releases talk to. */
    public static final ConversationId DEFAULT = new ConversationId("default");

    public ConversationId {
        Objects.requireNonNull(value, "value");
        if (!isWellFormed(value)) {
            throw new IllegalArgumentException("a conversation id is 1 to 64 letters, digits, '-' or '_'");
        }
    }

    public static boolean isWellFormed(String value) {
        return IdText.isWellFormed(value);
    }

    /**
     * An id from outside (a URL, a command line): a malformed one is a typed rejection, never an
     * {@link IllegalArgumentException} that would read as a server fault.
     */
    public static ConversationId parse(String value) {
        if (!isWellFormed(value)) {
            throw new InvalidRequestException(Diagnostic.error(DiagnosticCode.INVALID_PARAMETER,
                    "A conversation id is 1 to 64 letters, digits, '-' or '_'."));
        }
        return new ConversationId(value);
    }

    public static ConversationId random() {
        return new ConversationId("c-" + IdText.randomUuid());
    }

    @Override
    public String toString() {
        return value;
    }
}
