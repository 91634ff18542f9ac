package dev.companion.core.model;

import java.util.Locale;

/** How much a diagnostic matters to the reader. */
public enum Severity {
    INFO,
    WARNING,
    ERROR;

    /** Made once: a wire name is written for every event and every answer. */
    private final String wireName = name().toLowerCase(Locale.ROOT);

    public String wireName() {
        return wireName;
    }
}
