package dev.companion.app.console;

import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.TranscriptItem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WindowType;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A reply streams into the console as the model writes it, and ends the way the turn ended. */
class ConsoleStreamingTest extends ScriptedConsoleTest {

    @BeforeEach
    void openConsole() {
        page.open(server.console());
    }

    @Test
    void a_cut_event_connection_resumes_with_no_gap_and_no_duplicate() throws Exception {
        // The browser talks to a proxy on 127.0.0.1 that the test can cut; the server sits behind it.
        try (Proxied proxied = Proxied.start()) {
            ScriptedConsoleServer behind = proxied.behind();
            CuttableProxy proxy = proxied.proxy();
            ConsolePage viaProxy = new ConsolePage(chromium.driver)
                    .open(URI.create("http://127.0.0.1:" + behind.port + "/console"));
            viaProxy.type("Count to six", Keys.ENTER);
            behind.model.awaitCall();
            behind.model.emit("one ");
            viaProxy.awaitPendingText("one");

            proxy.cutAndHold();
            viaProxy.await("the console to notice the cut", d -> !"live".equals(viaProxy.connection()));
            // Written while the browser is away: it must get these from the resume, exactly once.
            behind.emitAndAwaitPublished("two ");
            behind.emitAndAwaitPublished("three ");
            assertThat(ConsolePage.squeezed(viaProxy.pendingText())).isEqualTo("one");
            proxy.release();

            viaProxy.awaitConnection("live");
            viaProxy.awaitPendingText("one two three");
            behind.model.emit("four ");
            viaProxy.awaitPendingText("one two three four");

            // A second cut, this time with nothing missed, must not repeat anything either.
            proxy.cutAndHold();
            viaProxy.await("the console to notice the second cut", d -> !"live".equals(viaProxy.connection()));
            proxy.release();
            viaProxy.awaitConnection("live");
            behind.model.emit("five ");
            viaProxy.awaitPendingText("one two three four five");

            // Refused outright (a 503 from a restarting proxy), EventSource gives up for good; the
            // console reconnects by itself from its last cursor.
            proxy.cutAndRefuse();
            viaProxy.await("the console to notice the refusal", d -> !"live".equals(viaProxy.connection()));
            behind.emitAndAwaitPublished("six ");
            viaProxy.await("the console to be told it is disconnected",
                    d -> "disconnected, retrying".equals(viaProxy.connection()));
            proxy.release();
            viaProxy.awaitConnection("live");
            behind.model.emit("seven");
            viaProxy.awaitPendingText("one two three four five six seven");

            behind.model.finish();
            viaProxy.awaitOutcome("completed");
            viaProxy.awaitItemText(1, "one two three four five six seven");
            assertThat(ConsolePage.squeezed(viaProxy.text("#transcript"))).containsOnlyOnce("one two three four five six seven");
            assertThat(viaProxy.shownSequences()).containsExactly(0L, 1L);
            assertThat(proxy.accepted()).isGreaterThan(1);
        }
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
        // The live region is for state changes and finished replies, not for every token.
        assertThat(page.text("#announcer")).doesNotContain("Once upon");

        server.model.emit(", the **end**.");
        server.model.finish();
        page.awaitOutcome("completed");
        page.awaitItemText(1, "Once upon a time, the end.");
        assertThat(page.text("#transcript li[data-sequence='1'] .item-body strong")).isEqualTo("end");
        assertThat(page.pendingText()).isNull();
        page.await("state ready", d -> "ready".equals(page.state()));
        page.await("the finished reply announced", d -> String.valueOf(page.text("#announcer"))
                .contains("Reply finished. Once upon a time, the end."));
        assertThat(page.shownSequences()).containsExactly(0L, 1L);
        assertThat(Path.of("target", "console-streaming.png")).isNotEmptyFile();
    }

    @Test
    void every_reply_streams_not_only_the_first_after_the_page_loads() throws Exception {
        String[][] replies = {{"First ", "reply, ", "slowly."}, {"Second ", "reply, ", "slowly too."}};
        for (int turn = 0; turn < replies.length; turn++) {
            page.type("Question " + (turn + 1), Keys.ENTER);
            server.model.awaitCall();
            StringBuilder sent = new StringBuilder();
            for (String piece : replies[turn]) {
                server.model.emit(piece);
                sent.append(piece);
                // The model is held after each piece: the text can only be there if it streamed.
                page.awaitPendingText(sent.toString());
                assertThat(page.state()).isEqualTo("busy");
            }
            server.model.finish();
            page.awaitItemText(2L * turn + 1, sent.toString());
            page.awaitOutcome("completed");
            assertThat(page.pendingText()).isNull();
        }
        assertThat(page.shownSequences()).containsExactly(0L, 1L, 2L, 3L);
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
        assertThat(page.itemEnding(1)).isEqualTo("The turn was cancelled; the reply so far is kept, marked cancelled.");
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
    void a_piece_that_arrives_after_its_cancel_was_answered_leaves_no_ghost_reply() throws Exception {
        // The cancel's answer and the event stream travel on different connections, so the answer
        // can overtake the last pieces of the reply; those must not come back as a reply of their own.
        try (Proxied proxied = Proxied.start()) {
            ScriptedConsoleServer behind = proxied.behind();
            CuttableProxy proxy = proxied.proxy();
            ConsolePage viaProxy = new ConsolePage(chromium.driver)
                    .open(URI.create("http://127.0.0.1:" + behind.port + "/console"));
            viaProxy.type("Count", Keys.ENTER);
            behind.model.awaitCall();
            behind.model.emit("one ");
            viaProxy.awaitPendingText("one");

            proxy.delayEvents();
            behind.emitAndAwaitPublished("two ");
            viaProxy.script("window.__pendingAdded = 0; new MutationObserver(records => records.forEach(r =>"
                    + " r.addedNodes.forEach(n => { if (n.dataset && n.dataset.pending === 'true') window.__pendingAdded++; })))"
                    + ".observe(document.getElementById('transcript'), { childList: true });");
            viaProxy.clickCancel();
            viaProxy.awaitOutcome("cancelled");
            viaProxy.awaitItemText(1, "one two");
            assertThat(viaProxy.pendingText()).isNull();

            proxy.deliverEvents();
            // A later turn's events come after the late piece on the same stream: once it has
            // finished, the late piece has certainly been handled.
            behind.model.script("Fine.");
            viaProxy.type("Again", Keys.ENTER);
            viaProxy.awaitItemText(3, "Fine.");
            viaProxy.awaitOutcome("completed");
            assertThat(viaProxy.pendingText()).isNull();
            assertThat(viaProxy.script("return window.__pendingAdded;")).as("streaming bubbles added after the cancel")
                    .isEqualTo(1L);
            assertThat(viaProxy.shownSequences()).containsExactly(0L, 1L, 2L, 3L);
            assertThat(viaProxy.itemStatus(1)).isEqualTo("cancelled");
        }
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

    /**
     * A server on 127.0.0.2 behind a cuttable proxy on 127.0.0.1 at the same port (the server's Host
     * check wants its own port in the browser's Host header). The port the system gave the server
     * may be taken on 127.0.0.1: then both start again on another.
     */
    private record Proxied(ScriptedConsoleServer behind, CuttableProxy proxy) implements AutoCloseable {

        static Proxied start() throws java.io.IOException {
            for (int attempt = 1; ; attempt++) {
                ScriptedConsoleServer behind = ScriptedConsoleServer.startOn("127.0.0.2");
                try {
                    return new Proxied(behind, new CuttableProxy(new InetSocketAddress("127.0.0.2", behind.port)));
                } catch (java.net.BindException taken) {
                    behind.close();
                    if (attempt == 20) {
                        throw taken;
                    }
                }
            }
        }

        @Override
        public void close() {
            try {
                proxy.close();
            } finally {
                behind.close();
            }
        }
    }
}
