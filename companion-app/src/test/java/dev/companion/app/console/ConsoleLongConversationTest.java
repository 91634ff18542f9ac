package dev.companion.app.console;

import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TurnId;
import dev.companion.runtime.InMemoryTranscriptStore;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A long conversation opens on its newest page and scrolls back page by page; a very long reply
 * streams without its earlier blocks being parsed again for every piece. The times are measured in
 * the page (the console's User Timing measures) and printed, not asserted: speed is for bench/.
 */
class ConsoleLongConversationTest extends BrowserTest {

    @Test
    void two_thousand_items_open_on_the_newest_page_and_scroll_back() {
        InMemoryTranscriptStore store = new InMemoryTranscriptStore();
        Instant at = Instant.parse("2026-01-01T10:00:00Z");
        for (int i = 0; i < 1000; i++) {
            TurnId turn = new TurnId("seed-" + i);
            store.append(new TranscriptEntry(Role.USER, "Question " + (2 * i) + ": how does this part work?",
                    at.plusSeconds(2L * i), "http", ItemStatus.ACCEPTED, turn));
            store.append(new TranscriptEntry(Role.ASSISTANT, "Answer " + (2 * i + 1) + ". It works **like this**:\n\n"
                    + "- first, a list item\n- then another\n\n```java\nint x = " + i + ";\n```\n\nAnd a closing paragraph.",
                    at.plusSeconds(2L * i + 1), "scripted", ItemStatus.COMPLETED, turn));
        }
        try (ScriptedConsoleServer server = ScriptedConsoleServer.startWith(store)) {
            ConsolePage page = new ConsolePage(chromium.driver).open(server.console());
            page.await("the newest page", d -> page.shownSequences().size() == 50);
            assertThat(page.shownSequences()).containsExactlyElementsOf(range(1950, 2000));
            double open = measure(page, "console:open-page");
            System.out.printf(Locale.ROOT, "[console-measure] 2,000 items: newest page (50 items) shown in %.1f ms after its data arrived%n", open);

            // Scrolling up to the top loads the page before by itself, and the reader stays where they were.
            page.script("window.__anchor = document.querySelector(\"li[data-sequence='1950']\");"
                    + "window.__anchorTop = () => window.__anchor.getBoundingClientRect().top;"
                    + "const s = document.getElementById('transcript-scroll'); s.scrollTop = 300;"
                    + "s.dispatchEvent(new Event('scroll')); s.scrollTop = 0;");
            page.await("the page before", d -> page.shownSequences().size() == 100);
            assertThat(page.shownSequences()).containsExactlyElementsOf(range(1900, 2000));
            assertThat((Boolean) page.script("const s = document.getElementById('transcript-scroll');"
                    + "return s.scrollTop > 0;")).as("kept in place, not thrown to the top").isTrue();
            List<Double> older = measures(page, "console:older-page");
            System.out.printf(Locale.ROOT, "[console-measure] 2,000 items: an older page (50 items) added in %s ms%n", older);
            assertThat(page.visible("#jump-latest")).as("the way back down").isTrue();
            page.element("#jump-latest").click();
            page.await("back at the newest", d -> !page.visible("#jump-latest"));
        }
    }

    @Test
    void a_twenty_thousand_character_reply_renders_block_by_block() throws InterruptedException {
        try (ScriptedConsoleServer server = ScriptedConsoleServer.start()) {
            ConsolePage page = new ConsolePage(chromium.driver).open(server.console());
            page.type("Write at length", Keys.ENTER);
            server.model.awaitCall();
            String paragraph = "A paragraph of a long reply with *some emphasis*, `inline code` and a [link](https://example.org). ";
            StringBuilder sent = new StringBuilder();
            int block = 0;
            String marker = null;
            while (sent.length() < 20_000) {
                String piece = block % 7 == 3
                        ? "```python\ndef f" + block + "(x):\n    return x * " + block + "\n```\n\n"
                        : "Block " + block + ". " + paragraph.repeat(3) + "\n\n";
                server.model.emit(piece);
                sent.append(piece);
                marker = block % 7 == 3 ? "def f" + block + "(x)" : "Block " + block + ".";
                block++;
                if (block == 2) {
                    page.await("the first blocks", d -> page.script("return document.querySelector("
                            + "\"li[data-pending='true'] .stream-block\");") != null);
                    page.script("window.__firstBlock = document.querySelector(\"li[data-pending='true'] .stream-block\");");
                }
            }
            String last = "Block " + block + " ends here.";
            String lastSent = marker;
            page.await("the reply so far", d -> squeezedLength(page) >= 12_000
                    && String.valueOf(page.pendingText()).contains(lastSent));

            // Now one piece at a time at the end of a ~20,000-character reply: each is rendered on its own.
            List<Double> perDelta = new ArrayList<>();
            for (int n = 0; n < 20; n++) {
                int i = n;
                String piece = " word" + i;
                page.script("performance.clearMeasures('console:stream-render');");
                server.model.emit(piece);
                page.await("piece " + i, d -> String.valueOf(page.pendingText()).strip().endsWith("word" + i));
                perDelta.addAll(measures(page, "console:stream-render"));
            }
            server.model.emit("\n\n" + last);
            page.await("the last block", d -> String.valueOf(page.pendingText()).contains(last));
            // The first block is the very element rendered at the start: never parsed or replaced since.
            assertThat((Boolean) page.script("return document.contains(window.__firstBlock)"
                    + " && window.__firstBlock === document.querySelector(\"li[data-pending='true'] .stream-block\");")).isTrue();
            // What a whole re-parse per piece would have cost at this length, for comparison.
            double wholeParse = ((Number) page.script("const text = arguments[0]; const t0 = performance.now();"
                    + "const el = document.createElement('div'); el.append(DOMPurify.sanitize(marked.parse(text),"
                    + "{RETURN_DOM_FRAGMENT: true})); return performance.now() - t0;", sent.toString())).doubleValue();
            server.model.finish();
            page.awaitOutcome("completed");
            assertThat(page.itemText(1)).contains("Block 0.", last);

            perDelta.sort(Double::compare);
            System.out.printf(Locale.ROOT, "[console-measure] %,d-character reply: time per delta at its end over %d pieces:"
                    + " median %.2f ms, max %.2f ms (one whole-reply parse + sanitise: %.1f ms)%n", sent.length(), perDelta.size(),
                    perDelta.get(perDelta.size() / 2), perDelta.get(perDelta.size() - 1), wholeParse);
        }
    }

    private static int squeezedLength(ConsolePage page) {
        String text = page.pendingText();
        return text == null ? 0 : text.length();
    }

    private static double measure(ConsolePage page, String name) {
        List<Double> all = measures(page, name);
        assertThat(all).as("User Timing measure %s", name).isNotEmpty();
        return all.get(0);
    }

    private static List<Double> measures(ConsolePage page, String name) {
        List<?> raw = (List<?>) page.script("return performance.getEntriesByName(arguments[0], 'measure').map(e => e.duration);", name);
        return raw.stream().map(o -> ((Number) o).doubleValue()).toList();
    }

    private static List<Long> range(long from, long to) {
        return LongStream.range(from, to).boxed().toList();
    }
}
