package dev.companion.core.model;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of the append-only transcript. {@code sequence} is the item's position, counted from 0,
 * so a page that starts at {@code start} holds the items whose sequence is {@code start} onwards.
 * {@code source} says where the words came from: the client channel for a user item
 * ({@code http}, {@code cli}, {@code java}), the provider kind for a reply ({@code offline},
 * {@code openai}, {@code anthropic}). {@code details} are what a reply keeps beside its words.
 */
public record TranscriptItem(
        long sequence,
        Role role,
        String content,
        Instant createdAt,
        String source,
        ItemStatus status,
        TurnId turnId,
        ReplyDetails details) {

    public TranscriptItem {
        if (sequence < 0) {
            throw new IllegalArgumentException("sequence must not be negative");
        }
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(turnId, "turnId");
        Objects.requireNonNull(details, "details");
    }

    /** An item with nothing kept beside its words (every user item; a reply with no reasoning, usage or notes). */
    public TranscriptItem(long sequence, Role role, String content, Instant createdAt, String source, ItemStatus status,
                          TurnId turnId) {
        this(sequence, role, content, createdAt, source, status, turnId, ReplyDetails.NONE);
    }

    /** The same item with another status: what a regenerate or edit does to what it replaces. */
    public TranscriptItem withStatus(ItemStatus newStatus) {
        return new TranscriptItem(sequence, role, content, createdAt, source, newStatus, turnId, details);
    }
}
