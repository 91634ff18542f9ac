package dev.companion.core.model;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Asks for one bounded page of a transcript. With no {@code start}, the newest page. A limit above
 * {@link #MAX_LIMIT} is clamped (with a diagnostic), a limit of 0 asks only for the counts.
 */
public record TranscriptQuery(OptionalLong start, int limit) {

    /** The page size when a client names none. */
    public static final int DEFAULT_LIMIT = 50;
    /** The largest page a client can get; documented in the README and the HTTP contract. */
    public static final int MAX_LIMIT = 200;

    public TranscriptQuery {
        if (start == null) {
            start = OptionalLong.empty();
        }
        if (start.isPresent() && start.getAsLong() < 0) {
            throw new InvalidRequestException(Diagnostic.error(
                    DiagnosticCode.INVALID_PARAMETER, "start must be 0 or more."));
        }
        if (limit < 0) {
            throw new InvalidRequestException(Diagnostic.error(
                    DiagnosticCode.INVALID_PARAMETER, "limit must be 0 or more."));
        }
    }

    public static TranscriptQuery newest() {
        return new TranscriptQuery(OptionalLong.empty(), DEFAULT_LIMIT);
    }

    public static TranscriptQuery newest(int limit) {
        return new TranscriptQuery(OptionalLong.empty(), limit);
    }

    public static TranscriptQuery from(long start, int limit) {
        return new TranscriptQuery(OptionalLong.of(start), limit);
    }

    /** Where this query lands in a transcript of {@code totalItems}, and what was adjusted. */
    public Window window(long totalItems) {
        List<Diagnostic> notes = new ArrayList<>();
        int effectiveLimit = limit;
        if (limit > MAX_LIMIT) {
            effectiveLimit = MAX_LIMIT;
            notes.add(Diagnostic.info(DiagnosticCode.LIMIT_CLAMPED,
                    "limit was lowered to the maximum page size of " + MAX_LIMIT + "."));
        }
        long first = start.isPresent() ? start.getAsLong() : Math.max(0, totalItems - effectiveLimit);
        if (first > totalItems) {
            notes.add(Diagnostic.info(DiagnosticCode.START_PAST_END,
                    "start is past the end of the transcript, which has " + totalItems + " items."));
        }
        long available = Math.max(0, totalItems - first);
        int count = (int) Math.min(effectiveLimit, available);
        return new Window(first, effectiveLimit, count, List.copyOf(notes));
    }

    /** The resolved page: the first sequence, the effective limit, how many items to read. */
    public record Window(long start, int limit, int count, List<Diagnostic> diagnostics) {
    }
}
