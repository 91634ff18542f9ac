package dev.companion.app.console;

import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.TranscriptItem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WindowType;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A reply streams into the console as the model writes it, and ends the way the turn ended. */
class ConsoleStreamingTest {

    private static Chromium chromium;
    private ScriptedConsoleServer server;
    private ConsolePage page;

    @BeforeAll
    static void startBrowser() {
        chromium = Chromium.start();
    }

    @AfterAll
    static void stopBrowser() {
        if (chromium != null) {
            chromium.close();
        }
    }

    @BeforeEach
    void startServer() {
        server = ScriptedConsoleServer.start();
        page = new ConsolePage(chromium.driver).open(server.console());
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void a_reply_streams_in_piece_by_piece_and_ends_completed() throws Exception {
        page.type("Tell me a short story");
        page.clickSend();
        server.model.awaitCall();

        server.model.emit("Once upon ");
        page.awaitPendingText("Once upon ");
        server.model.emit("a time");
        page.awaitPendingText("Once upon a time");
        // The model is held here: only the first part of the reply exists, and only it is shown.
        assertThat(page.state()).isEqualTo("busy");
        assertThat(page.text("#transcript li[data-pending='true'] .item-status")).isEqualTo("streaming");
        assertThat(page.itemText(0)).isEqualTo("Tell me a short story");
        chromium.screenshot(Path.of("target", "console-streaming.png"));

        server.model.emit(", the **end**.");
        server.model.finish();
        page.awaitOutcome("completed");
        page.awaitItemText(1, "Once upon a time, the end.");
        assertThat(page.text("#transcript li[data-sequence='1'] .item-body strong")).isEqualTo("end");
        assertThat(page.pendingText()).isNull();
        page.await("state ready", d -> "ready".equals(page.state()));
        assertThat(page.shownSequences()).containsExactly(0L, 1L);
        assertThat(Path.of("target", "console-streaming.png")).isNotEmptyFile();
    }

    @Test
    void escape_cancels_mid_stream_and_the_partial_reply_stays() throws Exception {
        page.type("Count slowly");
        page.clickSend();
        server.model.awaitCall();
        server.model.emit("one, two, ");
        page.awaitPendingText("one, two, ");

        page.message().sendKeys(Keys.ESCAPE);

        page.awaitOutcome("cancelled");
        page.awaitItemText(1, "one, two,");
        assertThat(page.itemStatus(1)).isEqualTo("cancelled");
        assertThat(page.pendingText()).isNull();
        page.await("state ready", d -> "ready".equals(page.state()));
        List<TranscriptItem> stored = server.transcript();
        assertThat(stored).hasSize(2);
        assertThat(stored.get(1).status()).isEqualTo(ItemStatus.CANCELLED);
        assertThat(stored.get(1).content()).isEqualTo("one, two, ");
    }

    @Test
    void the_cancel_button_stops_the_running_reply() throws Exception {
        page.type("Count slowly", Keys.ENTER);
        server.model.awaitCall();
        server.model.emit("three, four");
        page.awaitPendingText("three, four");
        page.await("cancel enabled", d -> page.script("return !document.getElementById('cancel').disabled;"));

        page.clickCancel();

        page.awaitOutcome("cancelled");
        page.awaitItemText(1, "three, four");
        assertThat(page.itemStatus(1)).isEqualTo("cancelled");
    }

    @Test
    void a_second_tab_sending_during_a_turn_is_told_busy() throws Exception {
        String first = chromium.driver.getWindowHandle();
        page.type("First question", Keys.ENTER);
        server.model.awaitCall();
        server.model.emit("Thinking");
        page.awaitPendingText("Thinking");

        chromium.driver.switchTo().newWindow(WindowType.TAB);
        try {
            ConsolePage second = new ConsolePage(chromium.driver).open(server.console());
            second.await("state busy in the second tab", d -> "busy".equals(second.state()));
            second.type("Second question", Keys.ENTER);
            second.awaitOutcome("busy");
            assertThat(second.outcomeText()).isNotBlank();
            // The draft is not lost when the server says busy.
            assertThat(second.message().getAttribute("value")).isEqualTo("Second question");

            server.model.emit(" done.");
            server.model.finish();
            // Every client gets the stream, not only the one that sent.
            second.awaitItemText(1, "Thinking done.");
        } finally {
            chromium.driver.close();
            chromium.driver.switchTo().window(first);
        }
        page.awaitOutcome("completed");
        page.awaitItemText(1, "Thinking done.");
        assertThat(server.transcript()).extracting(TranscriptItem::content).containsExactly("First question", "Thinking done.");
    }
}
