package dev.companion.app.console;

import dev.companion.adapter.cli.CompanionCommandLine.ProviderChoice;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderOptions;
import dev.companion.adapter.cli.CompanionCommandLine.RunningServer;
import dev.companion.adapter.cli.CompanionCommandLine.ServeOptions;
import dev.companion.adapter.cli.CompanionCommandLine.StorageOptions;
import dev.companion.app.AppLaunchers;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TurnId;
import dev.companion.runtime.InMemoryTranscriptStore;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/** A long transcript opens on its newest page and grows older on demand; an offline model says so. */
class ConsoleHistoryAndOfflineTest extends BrowserTest {

    @Test
    void a_long_transcript_shows_its_newest_page_and_loads_older_ones_on_demand() {
        InMemoryTranscriptStore store = new InMemoryTranscriptStore();
        Instant at = Instant.parse("2026-01-01T10:00:00Z");
        for (int i = 0; i < 150; i++) {
            TurnId turn = new TurnId("seed-" + i);
            store.append(new TranscriptEntry(Role.USER, "question " + (2 * i), at.plusSeconds(2L * i), "http",
                    ItemStatus.ACCEPTED, turn));
            store.append(new TranscriptEntry(Role.ASSISTANT, "answer " + (2 * i + 1), at.plusSeconds(2L * i + 1),
                    "scripted", ItemStatus.COMPLETED, turn));
        }
        try (ScriptedConsoleServer server = ScriptedConsoleServer.startWith(store)) {
            ConsolePage page = new ConsolePage(chromium.driver).open(server.console());
            page.await("the newest page", d -> page.shownSequences().size() == 50);
            assertThat(page.shownSequences()).containsExactlyElementsOf(range(250, 300));
            assertThat(ConsolePage.squeezed(page.itemText(299))).isEqualTo("answer 299");
            assertThat(page.text("#transcript-info")).isEqualTo("Showing the newest 50 of 300 items.");
            // Scrolled to the end: the newest item is in view, not the top of the page.
            page.await("the newest item in view", d -> (Boolean) page.script(
                    "const s = document.getElementById('transcript-scroll').getBoundingClientRect();"
                            + "const r = document.querySelector(\"li[data-sequence='299']\").getBoundingClientRect();"
                            + "return r.bottom <= s.bottom + 1 && r.top >= s.top - 1;"));

            page.clickLoadOlder();
            page.await("the page before", d -> page.shownSequences().size() == 100);
            assertThat(page.shownSequences()).containsExactlyElementsOf(range(200, 300));
            assertThat(page.text("#transcript-info")).isEqualTo("Showing the newest 100 of 300 items.");

            // New items arrive by the stream; the count grows with them.
            server.model.script("answer 301");
            page.type("question 300", Keys.ENTER);
            page.awaitItemText(301, "answer 301");
            page.await("the count to follow", d -> "Showing the newest 102 of 302 items.".equals(
                    page.text("#transcript-info")));
            assertThat(page.shownSequences()).containsExactlyElementsOf(range(200, 302));

            for (int pages = 3; pages <= 6; pages++) {
                int expected = Math.min(302, pages * 50 + 2);
                page.clickLoadOlder();
                page.await(expected + " items", d -> page.shownSequences().size() == expected);
            }
            assertThat(page.shownSequences()).containsExactlyElementsOf(range(0, 302));
            assertThat(page.itemText(0)).isEqualTo("question 0");
            assertThat(chromium.driver.findElement(By.id("load-older")).isDisplayed()).isFalse();
            assertThat(page.text("#transcript-info")).isEmpty();
        }
    }

    @Test
    void after_a_server_restart_the_console_shows_the_new_transcript_not_a_mix() throws Exception {
        ScriptedConsoleServer first = ScriptedConsoleServer.start();
        int port = first.port;
        ConsolePage page = new ConsolePage(chromium.driver);
        try {
            page.open(first.console());
            first.model.script("Remembered only by the first server.");
            page.type("Hello first", Keys.ENTER);
            page.awaitItemText(1, "Remembered only by the first server.");
        } finally {
            first.close();
        }
        page.await("the console to notice the server is gone", d -> !"live".equals(page.connection()));

        // An ephemeral server started again: a new transcript, and cursors the console never saw.
        try (ScriptedConsoleServer second = ScriptedConsoleServer.restartOn(port)) {
            page.awaitConnection("live");
            page.await("the transcript of the new server", d -> page.shownSequences().isEmpty());
            assertThat(page.text("#transcript")).doesNotContain("Remembered only by the first server.");
            assertThat(chromium.driver.findElement(By.id("transcript-empty")).isDisplayed()).isTrue();

            second.model.script("Hello from the second server.");
            page.type("Hello second", Keys.ENTER);
            page.awaitItemText(1, "Hello from the second server.");
            assertThat(page.shownSequences()).containsExactly(0L, 1L);
            assertThat(page.itemText(0)).isEqualTo("Hello second");
        }
    }

    @Test
    void the_offline_model_is_announced_as_not_live() {
        // `auto` on a machine with no keys and no Ollama: the offline model, as `companion serve` has it.
        try (RunningServer server = AppLaunchers.inMemory(Map.of()).serve(new ServeOptions("127.0.0.1", 0,
                new ProviderOptions(ProviderChoice.AUTO, Optional.empty(), Optional.empty(), Optional.empty(),
                        Optional.empty()), new StorageOptions(Optional.empty(), true), Optional.empty()))) {
            String limitation = server.status().transport().limitation().orElseThrow();
            ConsolePage page = new ConsolePage(chromium.driver).open(server.consoleUri());

            page.await("the offline notice", d -> d.findElement(By.id("offline-notice")).isDisplayed());
            assertThat(chromium.driver.findElement(By.id("offline-title")).getText()).isEqualTo("Not a live language model");
            assertThat(chromium.driver.findElement(By.id("offline-text")).getText()).contains(limitation);
            // Said once, plainly: the header says which model and that it is not live; the details wait, closed.
            assertThat(chromium.driver.findElement(By.id("provider-flag")).getText()).isEqualTo("offline model");
            assertThat(page.visible("#details")).isFalse();
            assertThat(occurrences((String) page.script("return document.body.innerText;"), limitation))
                    .as("the offline sentence shown once").isEqualTo(1);
            chromium.screenshot(java.nio.file.Path.of("target", "console-shots", "offline-desktop-light.png"));
            page.element("#details-toggle").click();
            page.await("the details panel", d -> page.visible("#details"));
            assertThat(chromium.driver.findElement(By.id("provider-live")).getText()).isEqualTo("Not a live model");
            assertThat(page.text("#provider-kind")).isEqualTo("offline");
            assertThat(page.text("#diagnostics")).contains("provider_offline");

            // It still answers, honestly, through the same stream.
            page.type("Are you there?", Keys.ENTER);
            page.awaitOutcome("completed");
            assertThat(page.itemText(1)).isNotBlank();
            assertThat(chromium.driver.findElement(By.id("offline-notice")).isDisplayed()).isTrue();
        }
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }

    private static java.util.List<Long> range(long from, long to) {
        return LongStream.range(from, to).boxed().toList();
    }
}
