package dev.companion.core.model;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * One bounded page of a transcript. {@code nextStart} is where the following (newer) page starts,
 * empty when this page reaches the end; {@code previousStart} is where the page before it (older)
 * starts, empty when this page begins at the first item.
 */
public record TranscriptPage(
        long start,
        int limit,
        long totalItems,
        OptionalLong nextStart,
        OptionalLong previousStart,
        List<TranscriptItem> items,
        List<Diagnostic> diagnostics) {

    public TranscriptPage {
        Objects.requireNonNull(nextStart, "nextStart");
        Objects.requireNonNull(previousStart, "previousStart");
        items = List.copyOf(items);
        diagnostics = List.copyOf(diagnostics);
    }

    /** Builds the page for a resolved window from the items read at it. */
    public static TranscriptPage of(TranscriptQuery.Window window, long totalItems,
                                    List<TranscriptItem> items, List<Diagnostic> extraDiagnostics) {
        long end = window.start() + items.size();
        OptionalLong next = end < totalItems ? OptionalLong.of(end) : OptionalLong.empty();
        OptionalLong previous = window.start() > 0 && window.limit() > 0
                ? OptionalLong.of(Math.max(0, Math.min(window.start(), totalItems) - window.limit()))
                : OptionalLong.empty();
        var diagnostics = new java.util.ArrayList<>(window.diagnostics());
        diagnostics.addAll(extraDiagnostics);
        return new TranscriptPage(window.start(), window.limit(), totalItems, next, previous, items, diagnostics);
    }
}
