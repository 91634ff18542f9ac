package dev.companion.core.model;

import java.util.Objects;

/** A worker as the outside sees it: id, label, current status, profile and authority. */
public record WorkerSnapshot(String id, String label, CompanionState status, Profile profile, String authority) {

    public WorkerSnapshot {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(authority, "authority");
    }
}
