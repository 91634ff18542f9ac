package dev.companion.core;

import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ReplyDetails;
import dev.companion.core.model.Role;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TranscriptQuery;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
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
     * One item as Markdown: who, when, and (for a reply that did not complete) how it ended; for a
     * reply, the tokens its provider counted and its reasoning folded away in a {@code <details>}
     * block. The words themselves (and the reasoning) go in a fence longer than any run of backticks
     * inside them, so neither a message nor a reply can forge a heading that puts words in the other's
     * mouth, nor close the folded block early.
     */
    public static String markdown(TranscriptItem item) {
        String who = item.role() == Role.USER ? "You" : "Companion";
        String ending = item.role() == Role.ASSISTANT && item.status() != ItemStatus.COMPLETED
                ? " (" + item.status().wireName() + ")" : "";
        StringBuilder markdown = new StringBuilder("\n## ").append(who).append(" · ").append(item.createdAt())
                .append(ending).append("\n");
        ReplyDetails details = item.details();
        details.usage().ifPresent(usage -> markdown.append("\n_").append(tokens(usage)).append("_\n"));
        if (!details.reasoning().isEmpty()) {
            // A blank line after <summary> lets Markdown inside the block render (CommonMark HTML blocks end at one).
            markdown.append("\n<details><summary>")
                    .append(details.reasoningTime().map(TranscriptExport::thoughtFor).orElse("Reasoning"))
                    .append("</summary>\n\n").append(fenced(details.reasoning(), "text")).append("\n</details>\n");
        }
        String kind = item.role() == Role.USER ? "text" : "markdown";
        return markdown.append("\n").append(fenced(item.content(), kind)).toString();
    }

    /**
     * How long a model reasoned, as every surface says it: "Thought for 2.4 s" (tenths below ten
     * seconds, so a quick thought is not "0 s"), "Thought for 42 s" from ten seconds on.
     */
    public static String thoughtFor(Duration time) {
        long millis = Math.max(0, time.toMillis());
        if (millis < 9_950) {
            long tenths = Math.max(1, Math.round(millis / 100.0));
            return String.format(Locale.ROOT, "Thought for %d.%d s", tenths / 10, tenths % 10);
        }
        return "Thought for " + Math.round(millis / 1000.0) + " s";
    }

    /** "Tokens: 18 in, 96 out (71 reasoning)": the reasoning part only when the provider counted some apart. */
    public static String tokens(TokenUsage usage) {
        return "Tokens: " + usage.inputTokens() + " in, " + usage.outputTokens() + " out"
                + (usage.reasoningTokens() > 0 ? " (" + usage.reasoningTokens() + " reasoning)" : "");
    }

    private static String fenced(String text, String kind) {
        String fence = "`".repeat(Math.max(3, longestBacktickRun(text) + 1));
        String body = text.endsWith("\n") ? text : text + "\n";
        return fence + kind + "\n" + body + fence + "\n";
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
