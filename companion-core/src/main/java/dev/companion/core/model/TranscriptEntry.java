package dev.companion.core.model;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/** An item about to be appended to a transcript: everything but the sequence the store assigns. */
public record TranscriptEntry(
        Role role, String content, Instant createdAt, String source, ItemStatus status, TurnId turnId,
        ReplyDetails details) {

    /** A short snake_case word; compiled once, as an entry is made for every message and reply. */
    private static final Pattern SOURCE = Pattern.compile("[a-z][a-z0-9_]{0,31}");

    public TranscriptEntry {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(turnId, "turnId");
        Objects.requireNonNull(details, "details");
        if (!SOURCE.matcher(source).matches()) {
            throw new IllegalArgumentException("a source is a short snake_case word");
        }
    }

    public TranscriptEntry(Role role, String content, Instant createdAt, String source, ItemStatus status, TurnId turnId) {
        this(role, content, createdAt, source, status, turnId, ReplyDetails.NONE);
    }

    public TranscriptItem at(long sequence) {
        return new TranscriptItem(sequence, role, content, createdAt, source, status, turnId, details);
    }
}
