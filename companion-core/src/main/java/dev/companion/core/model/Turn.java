package dev.companion.core.model;

import java.time.Instant;
import java.util.Objects;

/** A turn that has started: its id, the user item that opened it, and when. */
public record Turn(TurnId id, TranscriptItem userItem, Instant startedAt) {

    public Turn {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(userItem, "userItem");
        Objects.requireNonNull(startedAt, "startedAt");
    }
}
