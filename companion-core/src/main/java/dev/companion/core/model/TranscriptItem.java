package dev.companion.core.model;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of the append-only transcript. {@code sequence} is the item's position, counted from 0,
 * so a page that starts at {@code start} holds the items whose sequence is {@code start} onwards.
 * {@code source} says where the words came from: the client channel for a user item
 * ({@code http}, {@code cli}, {@code java}), the provider kind for a reply ({@code offline},
 * {@code openai}, {@code anthropic}).
 */
public record TranscriptItem(
        long sequence,
        Role role,
        String content,
        Instant createdAt,
        String source,
        ItemStatus status,
        TurnId turnId) {

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
    }
}
