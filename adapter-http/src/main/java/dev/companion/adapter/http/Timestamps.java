package dev.companion.adapter.http;

import java.time.Instant;
import java.time.LocalDate;

/**
 * Instants as the wire writes them: exactly {@link Instant#toString()} (ISO-8601 in UTC, seconds
 * always, the fraction in groups of three digits as needed), written without {@code
 * DateTimeFormatter}. Every event carries one, so this runs for every piece of every reply; the
 * general formatter's code is large enough that compiling it was a visible part of a fresh server's
 * first few hundred turns.
 */
final class Timestamps {

    /** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: four-digit years, the only ones written here. */
    private static final long FIRST_SECOND = -62_167_219_200L;
    private static final long LAST_SECOND = 253_402_300_799L;
    private static final int SECONDS_PER_DAY = 86_400;

    private Timestamps() {
    }

    static String iso(Instant instant) {
        long seconds = instant.getEpochSecond();
        if (seconds < FIRST_SECOND || seconds > LAST_SECOND) {
            return instant.toString();
        }
        LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(seconds, SECONDS_PER_DAY));
        int secondOfDay = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
        int nanos = instant.getNano();
        char[] text = new char[30];
        int at = digits(text, 0, date.getYear(), 4);
        text[at++] = '-';
        at = digits(text, at, date.getMonthValue(), 2);
        text[at++] = '-';
        at = digits(text, at, date.getDayOfMonth(), 2);
        text[at++] = 'T';
        at = digits(text, at, secondOfDay / 3600, 2);
        text[at++] = ':';
        at = digits(text, at, secondOfDay / 60 % 60, 2);
        text[at++] = ':';
        at = digits(text, at, secondOfDay % 60, 2);
        if (nanos != 0) {
            text[at++] = '.';
            if (nanos % 1_000_000 == 0) {
                at = digits(text, at, nanos / 1_000_000, 3);
            } else if (nanos % 1_000 == 0) {
                at = digits(text, at, nanos / 1_000, 6);
            } else {
                at = digits(text, at, nanos, 9);
            }
        }
        text[at++] = 'Z';
        return new String(text, 0, at);
    }

    /** {@code value} as exactly {@code width} decimal digits, zero-padded; returns the next index. */
    private static int digits(char[] text, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            text[i] = (char) ('0' + value % 10);
            value /= 10;
        }
        return at + width;
    }
}
