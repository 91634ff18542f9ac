package dev.companion.core.model;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The text of the ids the Companion makes (conversations, turns): 1 to 64 letters, digits, '-' or
 * '_', safe in a URL path and a file name. Checked and made by hand, since both happen on every turn,
 * often before the JIT has compiled anything: a regular expression is compiled again at each
 * {@code String.matches}, and {@code UUID.randomUUID} draws from {@code SecureRandom}, each costing
 * more than the rest of starting a turn while interpreted.
 */
final class IdText {

    static final int MAX_LENGTH = 64;

    private IdText() {
    }

    static boolean isWellFormed(String value) {
        if (value == null || value.isEmpty() || value.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }

    /**
     * A version 4 UUID's text, from {@link ThreadLocalRandom}: an id names something and guards
     * nothing (every route that takes one is behind the same access checks as the list that shows
     * it), so it needs to be unique, not unguessable; 122 random bits from a generator seeded apart
     * for each thread and process are that.
     */
    static String randomUuid() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(high, low).toString();
    }
}
