package dev.companion.app.console;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.LanguageModelException;
import dev.companion.runtime.InMemoryTranscriptStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Daily use: the composer empties on Enter and keeps what is typed next; each ending in its bubble
 * with Retry; regenerate and edit from the page; copy, export and highlighted code; focus on load;
 * the header following the server; and a phone's screen with everything that matters in view.
 */
class ConsoleChatTest extends ScriptedConsoleTest {

    @AfterEach
    void backToDesktop() {
        chromium.desktop();
    }

    @Test
    void the_box_empties_on_enter_and_what_is_typed_next_is_kept() throws InterruptedException {
        page.open(server.console());
        assertThat(page.script("return document.activeElement.id;")).as("focus on load").isEqualTo("message");
        // Typed in one go: the second message starts before the server has answered the first.
        page.type("first message", Keys.ENTER, "the next one");
        server.model.awaitCall();
        assertThat(boxValue()).isEqualTo("the next one");
        server.model.emit("Answer.");
        page.awaitPendingText("Answer.");
        // While the reply runs, Edit waits (the server would only say "busy"), and Stop is offered.
        assertThat(page.visible(ConsolePage.item(0) + " button.edit")).isFalse();
        assertThat(page.visible("#cancel")).isTrue();
        server.model.finish();
        page.awaitItemText(1, "Answer.");
        page.await("Edit back", d -> page.visible(ConsolePage.item(0) + " button.edit") && !page.visible("#cancel"));
        assertThat(page.itemText(0)).isEqualTo("first message");
        assertThat(boxValue()).isEqualTo("the next one");
        assertThat(page.script("return localStorage.getItem('companion-console.draft');")).isEqualTo("the next one");
        // While the reply streamed, the line under the box did not claim to be waiting for it.
        assertThat(page.text("#outcome-text")).doesNotContain("Waiting");
    }

    @Test
    void a_failed_reply_says_why_in_its_bubble_and_retry_answers_again() {
        page.open(server.console());
        server.model.emit("Half an ans");
        server.model.fail(LanguageModelException.error(Diagnostic.error(DiagnosticCode.PROVIDER_STREAM_INTERRUPTED,
                "The reply stream broke before its end."), true));
        page.type("Explain tides", Keys.ENTER);
        page.await("the ending in the bubble", d -> "The reply stream broke before its end.".equals(page.itemEnding(1)));
        page.await("the button " + ConsolePage.item(1) + " button.retry", d -> page.visible(ConsolePage.item(1) + " button.retry"));

        page.open(server.console());
        page.await("still said after a reload", d -> "The reply stream broke before its end.".equals(page.itemEnding(1)));
        page.await("the button " + ConsolePage.item(1) + " button.retry", d -> page.visible(ConsolePage.item(1) + " button.retry"));

        server.model.script("The Moon pulls the sea.");
        page.await("Retry", d -> page.visible(ConsolePage.item(1) + " button.retry"));
        page.element(ConsolePage.item(1) + " button.retry").click();
        page.awaitItemText(2, "The Moon pulls the sea.");
        page.await("the failed answer folded", d -> "Previous answer".equals(page.text(ConsolePage.item(1) + " summary")));
        assertThat(page.visible(ConsolePage.item(1) + " .item-body")).isFalse();
        page.await("the button " + ConsolePage.item(2) + " button.regenerate", d -> page.visible(ConsolePage.item(2) + " button.regenerate"));
    }

    @Test
    void regenerate_the_last_reply_and_edit_the_last_message() {
        page.open(server.console());
        server.model.script("First answer.");
        page.type("Name a colour", Keys.ENTER);
        page.awaitItemText(1, "First answer.");
        page.await("the button " + ConsolePage.item(0) + " button.edit", d -> page.visible(ConsolePage.item(0) + " button.edit"));

        server.model.script("Second answer.");
        page.await("Regenerate", d -> page.visible(ConsolePage.item(1) + " button.regenerate"));
        page.element(ConsolePage.item(1) + " button.regenerate").click();
        page.awaitItemText(2, "Second answer.");
        page.await("the first answer folded", d -> "Previous answer".equals(page.text(ConsolePage.item(1) + " summary")));
        assertThat(page.visible(ConsolePage.item(1) + " button.regenerate")).isFalse();
        page.await("the button " + ConsolePage.item(2) + " button.regenerate", d -> page.visible(ConsolePage.item(2) + " button.regenerate"));

        page.await("Edit", d -> page.visible(ConsolePage.item(0) + " button.edit"));
        page.element(ConsolePage.item(0) + " button.edit").click();
        page.await("the message in the box", d -> "Name a colour".equals(boxValue()) && page.visible("#edit-banner"));
        server.model.script("Blue.");
        page.type(Keys.END, " you like", Keys.ENTER);
        page.awaitItemText(3, "Name a colour you like");
        page.awaitItemText(4, "Blue.");
        page.await("the old message folded", d -> "Previous message".equals(page.text(ConsolePage.item(0) + " summary")));
        assertThat(page.visible("#edit-banner")).isFalse();
        assertThat(server.transcript()).extracting(TranscriptItem::status).containsExactly(ItemStatus.SUPERSEDED,
                ItemStatus.SUPERSEDED, ItemStatus.SUPERSEDED, ItemStatus.ACCEPTED, ItemStatus.COMPLETED);
    }

    @Test
    void copy_a_message_export_the_chat_and_code_is_highlighted() {
        page.open(server.console());
        String reply = "Like this:\n\n```java\npublic class Hello {\n    String s = \"hi\";\n}\n```";
        server.model.script(reply);
        page.type("Show me Java", Keys.ENTER);
        page.awaitOutcome("completed");

        assertThat(page.script("return document.querySelectorAll(arguments[0] + ' pre code .hljs-keyword').length;",
                ConsolePage.item(1))).as("highlighted keywords").isNotEqualTo(0L);

        page.element(ConsolePage.item(0) + " button.copy-reply").click();
        page.await("the message copied", d -> "Show me Java".equals(page.clipboard()));
        page.element(ConsolePage.item(1) + " button.copy-reply").click();
        page.await("the reply's Markdown copied", d -> reply.equals(page.clipboard()));

        page.element("#export-menu summary").click();
        page.await("the export menu", d -> page.visible("#export-markdown"));
        String markdown = fetch(page.element("#export-markdown").getAttribute("href"));
        assertThat(markdown).startsWith("# Conversation").contains("Show me Java", "public class Hello");
        String json = fetch(page.element("#export-json").getAttribute("href"));
        assertThat(json).contains("\"total_items\":2", "Show me Java");
    }

    @Test
    void the_header_follows_the_server_when_it_goes_away_and_comes_back() {
        page.open(server.console());
        assertThat(page.text("#model-name")).isEqualTo("scripted-1");
        assertThat(page.text("#provider-flag")).isEqualTo("live model");
        assertThat(page.state()).isEqualTo("ready");
        int port = server.port;
        server.close();
        page.await("offline, reconnecting", d -> "offline, reconnecting".equals(page.connection())
                && "offline".equals(page.state()));
        server = ScriptedConsoleServer.restartOn(port);
        page.awaitConnection("live");
        page.await("ready again", d -> "ready".equals(page.state()));
    }

    @Test
    void on_a_phone_the_composer_and_the_newest_message_are_in_view() {
        InMemoryTranscriptStore store = new InMemoryTranscriptStore();
        Instant at = Instant.parse("2026-01-01T10:00:00Z");
        for (int i = 0; i < 20; i++) {
            TurnId turn = new TurnId("seed-" + i);
            store.append(new TranscriptEntry(Role.USER, "Question " + i, at.plusSeconds(2L * i), "http", ItemStatus.ACCEPTED, turn));
            store.append(new TranscriptEntry(Role.ASSISTANT, "A longer answer " + i + " with a wide table:\n\n| a | b | c |\n|---|---|---|\n| "
                    + "x".repeat(80) + " | y | z |\n\nand `" + "averyveryverylongunbrokenword".repeat(4) + "`.",
                    at.plusSeconds(2L * i + 1), "scripted", ItemStatus.COMPLETED, turn));
        }
        server.close();
        server = ScriptedConsoleServer.startWith(store);
        chromium.phone();
        page.open(server.console());
        page.await("the newest page", d -> page.shownSequences().contains(39L));

        @SuppressWarnings("unchecked")
        Map<String, Object> layout = (Map<String, Object>) page.script("const doc = document.scrollingElement;"
                + "const composer = document.getElementById('composer').getBoundingClientRect();"
                + "const newest = document.querySelector(\"li[data-sequence='39']\").getBoundingClientRect();"
                + "return {height: innerHeight, width: innerWidth, pageHeight: doc.scrollHeight, pageWidth: doc.scrollWidth,"
                + " composerTop: composer.top, composerBottom: composer.bottom, newestTop: newest.top, newestBottom: newest.bottom};");
        double height = number(layout, "height");
        assertThat(number(layout, "width")).isEqualTo(390);
        assertThat(number(layout, "pageHeight")).as("the page itself does not scroll").isLessThanOrEqualTo(height);
        assertThat(number(layout, "pageWidth")).as("nor sideways").isLessThanOrEqualTo(number(layout, "width"));
        assertThat(number(layout, "composerBottom")).as("the composer on screen").isLessThanOrEqualTo(height);
        assertThat(number(layout, "newestBottom")).as("the newest message above the composer")
                .isLessThanOrEqualTo(number(layout, "composerTop") + 1);
        assertThat(number(layout, "newestBottom")).as("and in view").isGreaterThan(0);

        // The Send button works without a keyboard's Enter.
        server.model.script("Tapped.");
        page.message().sendKeys("Sent by tapping");
        page.clickSend();
        page.awaitItemText(41, "Tapped.");
        assertThat(page.itemText(40)).isEqualTo("Sent by tapping");
        assertThat((Boolean) page.script("return document.scrollingElement.scrollWidth <= innerWidth;")).isTrue();
    }

    private String boxValue() {
        return (String) page.script("return document.getElementById('message').value;");
    }

    private String fetch(String href) {
        return (String) ((org.openqa.selenium.JavascriptExecutor) chromium.driver).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "fetch(arguments[0]).then(r => r.text()).then(done, e => done('failed: ' + e));", href);
    }

    private static double number(Map<String, Object> values, String key) {
        return ((Number) values.get(key)).doubleValue();
    }
}
