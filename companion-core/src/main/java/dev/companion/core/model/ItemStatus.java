package dev.companion.core.model;

import java.util.Locale;

/** What became of a transcript item. User items are {@code accepted}; replies end in one of the rest. */
public enum ItemStatus {
    /** A user message the Companion took. */
    ACCEPTED,
    /** A reply the model finished. */
    COMPLETED,
    /** A reply stopped by a cancel; the content is what had arrived. */
    CANCELLED,
    /** A turn that failed before any text arrived. */
    FAILED,
    /** A reply cut off by a time limit; the content is what had arrived. */
    TIMEOUT,
    /** A reply whose stream broke after some text; the content is what had arrived. */
    INCOMPLETE,
    /** A reply cut short by a crash or stop of the server, recovered at the next start. */
    INTERRUPTED,
    /** A reply the provider cut off at its output token limit; the content is what had arrived. */
    TRUNCATED,
    /** A reply the provider's content filter stopped; the content is what had arrived. */
    FILTERED,
    /** A reply the model declined to give; the content is what it said, if anything. */
    REFUSED,
    /**
     * An item a regenerate or edit replaced: kept in the transcript so nothing is lost, never sent
     * to a model again.
     */
    SUPERSEDED;

    /** Made once: a wire name is written for every event and every answer. */
    private final String wireName = name().toLowerCase(Locale.ROOT);

    public String wireName() {
        return wireName;
    }
}
