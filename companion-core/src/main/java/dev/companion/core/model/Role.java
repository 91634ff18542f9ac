package dev.companion.core.model;

import java.util.Locale;

/** Who said a transcript item. The system prompt is not a transcript item: it is never stored. */
public enum Role {
    USER,
    ASSISTANT;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
