package dev.companion.store.postgres;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.ReplyDetails;
import dev.companion.core.model.TranscriptEntry;

import java.util.List;

/** PostgreSQL text holds any character but NUL; a NUL is kept as U+FFFD, the replacement character. */
final class Storable {

    private Storable() {
    }

    static String text(String value) {
        return value.indexOf('\0') < 0 ? value : value.replace('\0', '\uFFFD');
    }

    static TranscriptEntry entry(TranscriptEntry entry) {
        ReplyDetails details = entry.details();
        if (!needsReplacing(entry.content()) && !needsReplacing(details.reasoning())
                && details.diagnostics().stream().noneMatch(d -> needsReplacing(d.message()))) {
            return entry;
        }
        List<Diagnostic> notes = details.diagnostics().stream()
                .map(d -> new Diagnostic(d.code(), d.severity(), text(d.message())))
                .toList();
        return new TranscriptEntry(entry.role(), text(entry.content()), entry.createdAt(), entry.source(),
                entry.status(), entry.turnId(),
                new ReplyDetails(text(details.reasoning()), details.reasoningTime(), details.usage(), notes));
    }

    private static boolean needsReplacing(String value) {
        return value.indexOf('\0') >= 0;
    }
}
