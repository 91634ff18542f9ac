package dev.companion.core.model;

import java.util.Locale;

/** How much a diagnostic matters to the reader. */
public enum Severity {
    INFO,
    WARNING,
    ERROR;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
