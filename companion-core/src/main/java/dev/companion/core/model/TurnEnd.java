package dev.companion.core.model;

import java.util.Locale;

/**
 * How a turn ended, with its one wire name ({@code outcome} in every answer, export and {@code --json})
 * and the name of the event that announces it. Every surface takes the words from here.
 */
public enum TurnEnd {
    COMPLETED,
    FAILED,
    CANCELLED,
    TIMED_OUT;

    /** Made once: a wire name is written for every event and every answer. */
    private final String wireName = name().toLowerCase(Locale.ROOT);

    public String wireName() {
        return wireName;
    }

    /** The event that announces this ending, e.g. {@code turn_timed_out}. */
    public String eventName() {
        return "turn_" + wireName();
    }

    public static TurnEnd fromWireName(String wireName) {
        for (TurnEnd end : values()) {
            if (end.wireName().equals(wireName)) {
                return end;
            }
        }
        throw new IllegalArgumentException("not a turn ending: " + wireName);
    }
}
