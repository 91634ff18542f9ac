package dev.companion.adapter.cli;

import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Severity;

/**
 * Colour for human output. States are always printed as words; colour only adds to them, and only
 * when standard output is a terminal and {@code NO_COLOR} is unset (https://no-color.org).
 */
final class Palette {

    private static final String RESET = "\u001b[0m";

    private final boolean colour;

    private Palette(boolean colour) {
        this.colour = colour;
    }

    static Palette detect() {
        String noColor = System.getenv("NO_COLOR");
        return new Palette(System.console() != null && (noColor == null || noColor.isEmpty()));
    }

    static Palette plain() {
        return new Palette(false);
    }

    /** Colour whatever the terminal: for a test of what colour looks like. */
    static Palette coloured() {
        return new Palette(true);
    }

    /** Whether this palette paints; without colour, some things need words instead (a prefix, say). */
    boolean colourful() {
        return colour;
    }

    String state(CompanionState state) {
        String code = switch (state) {
            case READY, ACCEPTED -> "32";
            case BUSY -> "33";
            case ERROR, REJECTED -> "31";
            case TIMEOUT, CANCELLED -> "35";
        };
        return paint(code, state.wireName());
    }

    String severity(Severity severity) {
        String code = switch (severity) {
            case INFO -> "36";
            case WARNING -> "33";
            case ERROR -> "31";
        };
        return paint(code, severity.wireName());
    }

    String bold(String text) {
        return paint("1", text);
    }

    /** Faint (SGR 2): what is beside the point, such as a model's reasoning. */
    String dim(String text) {
        return paint("2", text);
    }

    private String paint(String code, String text) {
        return colour ? "\u001b[" + code + "m" + text + RESET : text;
    }
}
