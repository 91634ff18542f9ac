package dev.companion.core.model;

import java.util.Locale;

/** Who said a transcript item. The system prompt is not a transcript item: it is never stored. */
public enum Role {
    USER,
    ASSISTANT;

    /** Made once: a wire name is written for every event and every answer. */
    private final String wireName = name().toLowerCase(Locale.ROOT);

    public String wireName() {
        return wireName;
    }
}
