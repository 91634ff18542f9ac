package dev.companion.core.model;

import java.util.Locale;

/**
 * Things a worker could be allowed to do. The Companion is granted exactly {@link #ACCEPT_INPUT}
 * and {@link #READ_OWN_TRANSCRIPT}; the others exist so that a request for them can be named and
 * refused, never so that they can be granted to it.
 */
public enum Capability {
    ACCEPT_INPUT,
    READ_OWN_TRANSCRIPT,
    FILESYSTEM,
    SHELL,
    GIT,
    TICKET_MUTATION;

    /** Made once: a wire name is written for every event and every answer. */
    private final String wireName = name().toLowerCase(Locale.ROOT);

    public String wireName() {
        return wireName;
    }
}
