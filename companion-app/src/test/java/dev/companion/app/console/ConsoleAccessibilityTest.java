package dev.companion.app.console;

import dev.companion.core.model.TokenUsage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * axe-core finds no serious or critical violation in the console: empty, with a conversation, while
 * a reply streams, with the details panel open, in the light and the dark theme, on a desktop
 * window and on a phone's screen. Each view is also saved as a screenshot under
 * {@code target/console-shots/} for a person to look at.
 */
class ConsoleAccessibilityTest extends ScriptedConsoleTest {

    private static final Path SHOTS = Path.of("target", "console-shots");

    @AfterEach
    void backToDesktop() {
        chromium.desktop();
    }

    @Test
    void the_empty_page() {
        page.open(server.console());
        assertThat(violationsInEveryView("empty")).isEmpty();
    }

    @Test
    void a_conversation_with_markdown_code_and_an_ending() {
        page.open(server.console());
        server.model.emit("Here is a **plan**:\n\n1. Pack light\n2. Book the [ryokan](https://example.org/stay)\n\n");
        server.model.emit("```java\nclass Trip {\n    int days = 7; // a week\n    String city = \"Kyoto\";\n}\n```\n\nEnjoy the trip.");
        server.model.finish(new TokenUsage(412, 188, 0));
        page.type("Plan a week in Kyoto", Keys.ENTER);
        page.awaitOutcome("completed");
        server.model.emit("Part of a second answer");
        server.model.fail(dev.companion.core.port.LanguageModelException.error(dev.companion.core.model.Diagnostic.error(
                dev.companion.core.model.DiagnosticCode.PROVIDER_STREAM_INTERRUPTED, "The reply stream broke before its end."), true));
        page.type("And the food?", Keys.ENTER);
        page.await("the failed reply's Retry", d -> page.visible(ConsolePage.item(3) + " button.retry"));
        assertThat(violationsInEveryView("conversation")).isEmpty();
    }

    @Test
    void while_a_reply_streams() throws InterruptedException {
        page.open(server.console());
        page.type("Tell me a story", Keys.ENTER);
        server.model.awaitCall();
        server.model.think("The reader wants a short story.");
        server.model.emit("Once upon a time, a small robot learned to **listen**.\n\n");
        server.model.emit("It listened to the rain");
        page.awaitPendingText("Once upon a time, a small robot learned to listen. It listened to the rain");
        assertThat(violationsInEveryView("streaming")).isEmpty();
        server.model.finish();
        page.awaitOutcome("completed");
    }

    @Test
    void with_the_details_panel_open() {
        page.open(server.console());
        server.model.script("Hello.");
        page.type("Hi", Keys.ENTER);
        page.awaitOutcome("completed");
        page.element("#details-toggle").click();
        page.await("the details panel", d -> page.visible("#details"));
        assertThat(violationsInEveryView("details")).isEmpty();
    }

    @Test
    void axe_catches_what_the_old_console_got_wrong() {
        // The harness itself: the two serious violations the old console had, put back on purpose.
        page.open(server.console());
        page.script("const s = document.createElement('div'); s.id = 'bad-scroll';"
                + "s.style.cssText = 'position: fixed; top: 0; left: 0; width: 200px; height: 40px; overflow-y: auto; z-index: 50';"
                + "const p = document.createElement('p'); p.textContent = 'line '.repeat(400); s.append(p);"
                + "const b = document.createElement('button'); b.textContent = 'Copy';"
                + "b.setAttribute('aria-label', 'Put the reply on the clipboard');"
                + "b.style.cssText = 'position: fixed; top: 50px; left: 0; z-index: 50'; document.body.append(s, b);");
        assertThat(Axe.seriousViolations(chromium.driver))
                .anyMatch(v -> v.startsWith("scrollable-region-focusable"))
                .anyMatch(v -> v.startsWith("label-content-name-mismatch"));
    }

    /** Runs axe in the four views (desktop and phone, light and dark) and saves a screenshot of each. */
    private List<String> violationsInEveryView(String state) {
        List<String> found = new ArrayList<>();
        for (String size : List.of("desktop", "phone")) {
            for (String theme : List.of("light", "dark")) {
                if (size.equals("phone")) {
                    chromium.phone();
                } else {
                    chromium.desktop();
                }
                chromium.theme(theme);
                for (String violation : Axe.seriousViolations(chromium.driver)) {
                    found.add(state + ", " + size + ", " + theme + ": " + violation);
                }
                chromium.screenshot(SHOTS.resolve(state + "-" + size + "-" + theme + ".png"));
            }
        }
        return found;
    }
}
