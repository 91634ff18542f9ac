package dev.companion.core;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ReplyDetails;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TurnId;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class TranscriptExportTest {

    private static List<TranscriptItem> items(int count) {
        List<TranscriptItem> items = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            items.add(new TranscriptItem(i, i % 2 == 0 ? Role.USER : Role.ASSISTANT, "text " + i,
                    Instant.parse("2026-11-24T10:00:00Z"), "java", ItemStatus.COMPLETED, TurnId.random()));
        }
        return items;
    }

    /** A transcript read through the port, counting the pages asked for. */
    private static final class Pages implements ReadTranscriptUseCase {
        final List<TranscriptItem> all;
        int reads;

        Pages(List<TranscriptItem> all) {
            this.all = all;
        }

        @Override
        public TranscriptPage transcript(dev.companion.core.model.TranscriptQuery query) {
            reads++;
            var window = query.window(all.size());
            return TranscriptPage.of(window, all.size(),
                    all.subList((int) window.start(), (int) window.start() + window.count()), List.of());
        }
    }

    @Test
    void every_item_is_handed_over_in_order_a_page_at_a_time() {
        Pages pages = new Pages(items(450));
        List<Long> seen = new ArrayList<>();
        long count = TranscriptExport.eachItem(pages, item -> seen.add(item.sequence()));
        assertThat(count).isEqualTo(450);
        assertThat(seen).hasSize(450).isSorted().doesNotHaveDuplicates();
        assertThat(pages.reads).isEqualTo(3);
    }

    @Test
    void an_empty_transcript_exports_nothing() {
        assertThat(TranscriptExport.eachItem(new Pages(List.of()), item -> {
            throw new AssertionError("no items expected");
        })).isZero();
    }

    @Test
    void words_cannot_forge_a_heading_or_close_their_fence() {
        TranscriptItem forged = new TranscriptItem(0, Role.USER, "hello\n\n## Companion · now\n\nSure.\n````\n## You",
                Instant.parse("2026-11-24T10:00:00Z"), "http", ItemStatus.ACCEPTED, TurnId.random());
        String markdown = TranscriptExport.markdown(forged);
        assertThat(markdown).startsWith("\n## You · 2026-11-24T10:00:00Z\n\n`````text\nhello\n")
                .endsWith("## You\n`````\n");
        assertThat(markdown.lines().filter(line -> line.startsWith("`````"))).hasSize(2);
    }

    @Test
    void markdown_says_who_when_and_how_a_reply_ended() {
        TranscriptItem cancelled = new TranscriptItem(1, Role.ASSISTANT, "half", Instant.parse("2026-11-24T10:00:00Z"),
                "offline", ItemStatus.CANCELLED, TurnId.random());
        assertThat(TranscriptExport.markdown(cancelled))
                .isEqualTo("\n## Companion · 2026-11-24T10:00:00Z (cancelled)\n\n```markdown\nhalf\n```\n");
        assertThat(TranscriptExport.markdown(items(1).get(0))).startsWith("\n## You · ");
        assertThat(TranscriptExport.markdownHeading("Companion", Instant.EPOCH))
                .isEqualTo("# Conversation with Companion\n\nExported 1970-01-01T00:00:00Z\n");
    }

    @Test
    void a_reply_shows_its_usage_and_its_reasoning_folded_before_its_words() {
        ReplyDetails details = new ReplyDetails("Okay, the user wants something nice.", Optional.of(Duration.ofMillis(2_430)),
                Optional.of(new TokenUsage(18, 96, 71)), List.of(Diagnostic.warning(DiagnosticCode.PROVIDER_REPLY_TRUNCATED,
                "The reply was cut off at the output token limit.")));
        TranscriptItem reply = new TranscriptItem(1, Role.ASSISTANT, "You make the world", Instant.parse("2026-11-24T10:00:00Z"),
                "openai", ItemStatus.TRUNCATED, TurnId.random(), details);

        assertThat(TranscriptExport.markdown(reply)).isEqualTo("""

                ## Companion · 2026-11-24T10:00:00Z (truncated)

                _Tokens: 18 in, 96 out (71 reasoning)_

                <details><summary>Thought for 2.4 s</summary>

                ```text
                Okay, the user wants something nice.
                ```

                </details>

                ```markdown
                You make the world
                ```
                """);
    }

    @Test
    void reasoning_cannot_close_its_fold_or_forge_a_heading() {
        ReplyDetails details = new ReplyDetails("```\n</details>\n## You · now", Optional.empty(), Optional.empty(), List.of());
        TranscriptItem reply = new TranscriptItem(1, Role.ASSISTANT, "Sure.", Instant.parse("2026-11-24T10:00:00Z"),
                "openai", ItemStatus.COMPLETED, TurnId.random(), details);

        String markdown = TranscriptExport.markdown(reply);

        assertThat(markdown).contains("<details><summary>Reasoning</summary>\n\n````text\n```\n</details>\n## You · now\n````\n")
                .doesNotContain("_Tokens");
        assertThat(markdown.lines().filter("</details>"::equals)).hasSize(2); // one inside the fence, one closing
    }

    @Test
    void thinking_time_reads_in_tenths_below_ten_seconds_and_whole_seconds_after() {
        assertThat(TranscriptExport.thoughtFor(Duration.ofMillis(3))).isEqualTo("Thought for 0.1 s");
        assertThat(TranscriptExport.thoughtFor(Duration.ofMillis(2_449))).isEqualTo("Thought for 2.4 s");
        assertThat(TranscriptExport.thoughtFor(Duration.ofMillis(9_949))).isEqualTo("Thought for 9.9 s");
        assertThat(TranscriptExport.thoughtFor(Duration.ofMillis(9_950))).isEqualTo("Thought for 10 s");
        assertThat(TranscriptExport.thoughtFor(Duration.ofSeconds(42))).isEqualTo("Thought for 42 s");
        assertThat(TranscriptExport.tokens(new TokenUsage(28, 12))).isEqualTo("Tokens: 28 in, 12 out");
    }
}
