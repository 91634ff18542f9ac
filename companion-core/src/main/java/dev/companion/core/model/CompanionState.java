package dev.companion.core.model;

import java.util.Locale;

/**
 * The seven states every outcome is reported in. The wire name is the lower-case constant name and
 * never changes: clients switch on it.
 */
public enum CompanionState {
    /** The Companion is idle and takes a message. */
    READY,
    /** A turn is running (or the provider asked us to slow down); try again later. */
    BUSY,
    /** The turn or request failed; the diagnostics say why. */
    ERROR,
    /** The turn ran past one of its time limits. */
    TIMEOUT,
    /** The turn was stopped by a cancel. */
    CANCELLED,
    /** The message was taken and its turn has started. */
    ACCEPTED,
    /** The input was refused and nothing changed. */
    REJECTED;

    /** Made once: a wire name is written for every event and every answer. */
    private final String wireName = name().toLowerCase(Locale.ROOT);

    public String wireName() {
        return wireName;
    }
}
