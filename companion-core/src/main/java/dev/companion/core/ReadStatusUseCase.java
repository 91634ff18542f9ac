package dev.companion.core;

import dev.companion.core.model.CompanionStatus;

/** The Companion's status projection. */
public interface ReadStatusUseCase {

    CompanionStatus status();
}
