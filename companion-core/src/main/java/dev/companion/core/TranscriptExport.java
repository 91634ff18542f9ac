package dev.companion.core;

import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TranscriptQuery;

import java.time.Instant;
import java.util.function.Consumer;

/**
 * The whole conversation, for export: every item in order, read page by page through the same
 * port as any client (so memory stays bounded however long the transcript is), and the Markdown
 * form shared by the HTTP export and the CLI.
 */
public final class TranscriptExport {

    private TranscriptExport() {
    }

    /**
     * Hands every item that exists now to {@code consumer}, oldest first; items appended while the
     * export runs are left for the next one. Returns how many were handed over.
     */
    public static long eachItem(ReadTranscriptUseCase transcript, Consumer<TranscriptItem> consumer) {
        TranscriptPage page = transcript.transcript(TranscriptQuery.from(0, TranscriptQuery.MAX_LIMIT));
        long total = page.totalItems();
        long handed = 0;
        while (true) {
            for (TranscriptItem item : page.items()) {
                if (handed == total) {
                    return handed;
                }
                consumer.accept(item);
                handed++;
            }
            if (handed >= total || page.items().isEmpty()) {
                return handed;
            }
            page = transcript.transcript(TranscriptQuery.from(handed, TranscriptQuery.MAX_LIMIT));
        }
    }

    /** The Markdown export's opening lines. */
    public static String markdownHeading(String label, Instant exportedAt) {
        return "# Conversation with " + label + "\n\nExported " + exportedAt + "\n";
    }

    /**
     * One item as Markdown: who, when, and (for a reply that did not complete) how it ended. The
     * words themselves go in a fence longer than any run of backticks inside them, so neither a
     * message nor a reply can forge a heading that puts words in the other's mouth.
     */
    public static String markdown(TranscriptItem item) {
        String who = item.role() == Role.USER ? "You" : "Companion";
        String ending = item.role() == Role.ASSISTANT && item.status() != ItemStatus.COMPLETED
                ? " (" + item.status().wireName() + ")" : "";
        String fence = "`".repeat(Math.max(3, longestBacktickRun(item.content()) + 1));
        String kind = item.role() == Role.USER ? "text" : "markdown";
        String body = item.content().endsWith("\n") ? item.content() : item.content() + "\n";
        return "\n## " + who + " · " + item.createdAt() + ending + "\n\n" + fence + kind + "\n" + body + fence + "\n";
    }

    private static int longestBacktickRun(String text) {
        int longest = 0;
        int run = 0;
        for (int i = 0; i < text.length(); i++) {
            run = text.charAt(i) == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        return longest;
    }
}
