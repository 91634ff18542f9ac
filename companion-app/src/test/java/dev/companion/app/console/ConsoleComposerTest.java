package dev.companion.app.console;

import dev.companion.core.model.TranscriptItem;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;

import static org.assertj.core.api.Assertions.assertThat;

/** The composer: Enter sends, Shift+Enter adds a line, the draft survives a reload, a URL sends nothing. */
class ConsoleComposerTest extends ScriptedConsoleTest {

    @Test
    void enter_sends_and_shift_enter_adds_a_line() {
        page.open(server.console());
        server.model.script("Two lines received.");

        page.type("line one", Keys.chord(Keys.SHIFT, Keys.ENTER), "line two");
        assertThat(page.message().getAttribute("value")).isEqualTo("line one\nline two");
        page.type(Keys.ENTER);

        page.awaitOutcome("completed");
        page.awaitItemText(1, "Two lines received.");
        // Had Shift+Enter sent, "line one" would be a message of its own before this one.
        assertThat(server.transcript()).extracting(TranscriptItem::content)
                .containsExactly("line one\nline two", "Two lines received.");
        assertThat(page.itemText(0)).isEqualTo("line one\nline two");
        assertThat(page.message().getAttribute("value")).isEmpty();
    }

    @Test
    void the_draft_survives_a_reload_until_it_is_sent() {
        page.open(server.console());
        page.type("half a thought, ", Keys.chord(Keys.SHIFT, Keys.ENTER), "and a second line");

        chromium.driver.navigate().refresh();
        page.awaitConnection("live");
        assertThat(page.message().getAttribute("value")).isEqualTo("half a thought, \nand a second line");
        assertThat(page.text("#char-count")).startsWith("34 / ");

        server.model.script("Noted.");
        page.type(Keys.ENTER);
        page.awaitOutcome("completed");

        chromium.driver.navigate().refresh();
        page.awaitConnection("live");
        page.awaitItemText(1, "Noted.");
        assertThat(page.message().getAttribute("value")).isEmpty();
    }

    @Test
    void a_url_never_sends_a_message_or_fills_the_composer() {
        page.open(server.console().resolve("/console?content=hello&message=hi&text=sent+by+a+link&send=true#content=hey"));
        assertThat(page.message().getAttribute("value")).isEmpty();
        assertThat(page.shownSequences()).isEmpty();

        // A message typed afterwards is the first and only one: nothing was sent while the page booted.
        server.model.script("Hello.");
        page.type("typed by hand", Keys.ENTER);
        page.awaitOutcome("completed");
        assertThat(server.transcript()).extracting(TranscriptItem::content).containsExactly("typed by hand", "Hello.");
    }
}
