package dev.companion.app.console;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** Model output is rendered as safe Markdown; nothing in it runs or loads; user text stays text. */
class ConsoleRenderingTest extends ScriptedConsoleTest {

    @BeforeEach
    void openConsole() {
        page.open(server.console());
    }

    @Test
    void a_hostile_reply_runs_nothing_and_loads_nothing() throws Exception {
        try (Catcher catcher = new Catcher()) {
            String elsewhere = "http://127.0.0.1:" + catcher.port();
            List<String> firstHalf = List.of(
                    "Here is everything at once:",
                    "<script>window.__pwned = 'script'; document.title = 'pwned';</script>",
                    "<img src=x onerror=\"window.__pwned = 'img onerror'\">",
                    "<img src=\"" + elsewhere + "/raw.png\">",
                    "<svg onload=\"window.__pwned = 'svg onload'\"><circle r=\"5\"/></svg>",
                    "<iframe src=\"javascript:parent.__pwned = 'iframe'\"></iframe>",
                    "<iframe srcdoc=\"<script>parent.__pwned = 'srcdoc'</script>\"></iframe>",
                    "<iframe src=\"" + elsewhere + "/frame.html\"></iframe>",
                    "[click me](javascript:alert(1))",
                    "[or me](JaVaScRiPt:window.__pwned='link')",
                    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
                    "<a href=\"javascript:window.__pwned='raw a'\">raw link</a>",
                    "![remote](http://203.0.113.9/x.png)",
                    "![local](" + elsewhere + "/md.png)",
                    "HALFWAY");
            List<String> secondHalf = List.of(
                    "<object data=\"" + elsewhere + "/object\"></object><embed src=\"" + elsewhere + "/embed\">",
                    "<link rel=\"stylesheet\" href=\"" + elsewhere + "/link.css\">",
                    "<style>@import url(" + elsewhere + "/import.css); body { background: url(" + elsewhere
                            + "/bg.png) }</style>",
                    "<div style=\"background: url(" + elsewhere + "/style.png)\">styled</div>",
                    "<details open ontoggle=\"window.__pwned = 'details'\"><summary>more</summary></details>",
                    "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__pwned = 'mxss'\">",
                    "<form action=\"" + elsewhere + "/form\"><button formaction=\"" + elsewhere + "/b\">go</button></form>",
                    "<meta http-equiv=\"refresh\" content=\"0;url=" + elsewhere + "/refresh\">",
                    "<base href=\"" + elsewhere + "/\">",
                    "<video src=\"" + elsewhere + "/v.mp4\" autoplay></video><audio src=\"" + elsewhere
                            + "/a.mp3\" autoplay></audio>",
                    "<input autofocus onfocus=\"window.__pwned = 'autofocus'\">",
                    "<body onload=\"window.__pwned = 'body'\">",
                    "[fine](https://example.org/ok)",
                    "THE END");
            page.script("window.__violations = [];"
                    + "document.addEventListener('securitypolicyviolation',"
                    + " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));");

            page.type("Show me your worst", Keys.ENTER);
            server.model.awaitCall();
            // Streamed in small pieces, so half-written tags are rendered on the way too.
            for (String piece : chunks(String.join("\n\n", firstHalf) + "\n\n", 7)) {
                server.model.emit(piece);
            }
            page.await("the first half streamed", d -> String.valueOf(page.pendingText()).contains("HALFWAY"));
            assertNothingRanOrLoaded(page, catcher);

            for (String piece : chunks(String.join("\n\n", secondHalf), 7)) {
                server.model.emit(piece);
            }
            server.model.finish();
            page.awaitOutcome("completed");
            page.await("the stored reply", d -> String.valueOf(page.itemText(1)).contains("THE END"));
            assertNothingRanOrLoaded(page, catcher);

            // Raw HTML in a reply is shown as the text it is.
            String shown = page.itemText(1);
            assertThat(shown).contains("<script>window.__pwned = 'script'; document.title = 'pwned';</script>")
                    .contains("<img src=x onerror=").contains("[image: remote]");
            // The one ordinary link survives, opened safely.
            WebElement fine = chromium.driver.findElement(By.cssSelector("#transcript a[href='https://example.org/ok']"));
            assertThat(fine.getAttribute("target")).isEqualTo("_blank");
            assertThat(fine.getAttribute("rel").split(" ")).contains("noopener", "noreferrer");
        }
    }

    @Test
    void markdown_renders_and_user_text_stays_text() throws Exception {
        String code = "System.out.println(\"hi <there>\");";
        server.model.script(String.join("\n",
                "Some **bold** and `inline code`.",
                "",
                "- apples",
                "- pears",
                "",
                "1. first",
                "2. second",
                "",
                "| fruit | count |",
                "|-------|------:|",
                "| apple | 3 |",
                "| pear | 5 |",
                "",
                "```java",
                code,
                "```",
                "",
                "Read [the guide](https://example.org/guide) or write to [us](mailto:team@example.org)."));

        page.type("<b>x</b> & <i>friends</i>", Keys.ENTER);
        page.awaitOutcome("completed");

        assertThat(page.itemText(0)).isEqualTo("<b>x</b> & <i>friends</i>");
        assertThat(page.script("return document.querySelectorAll("
                + "\"#transcript li[data-sequence='0'] .item-body *\").length;")).isEqualTo(0L);

        String reply = "#transcript li[data-sequence='1'] .item-body";
        assertThat(texts(reply + " strong")).containsExactly("bold");
        assertThat(texts(reply + " p > code")).containsExactly("inline code");
        assertThat(texts(reply + " ul > li")).containsExactly("apples", "pears");
        assertThat(texts(reply + " ol > li")).containsExactly("first", "second");
        assertThat(texts(reply + " table th")).containsExactly("fruit", "count");
        assertThat(texts(reply + " table td")).containsExactly("apple", "3", "pear", "5");
        assertThat(texts(reply + " .code-block pre code")).containsExactly(code + "\n");

        WebElement guide = chromium.driver.findElement(By.cssSelector(reply + " a[href='https://example.org/guide']"));
        assertThat(guide.getText()).isEqualTo("the guide");
        assertThat(guide.getAttribute("target")).isEqualTo("_blank");
        assertThat(guide.getAttribute("rel").split(" ")).contains("noopener", "noreferrer");
        WebElement mail = chromium.driver.findElement(By.cssSelector(reply + " a[href='mailto:team@example.org']"));
        assertThat(mail.getText()).isEqualTo("us");

        WebElement copy = chromium.driver.findElement(By.cssSelector(reply + " .code-block button.copy"));
        assertThat(copy.getAttribute("textContent")).isEqualTo("Copy code");
        // The visible word starts the accessible name (axe's label-content-name-mismatch).
        assertThat(copy.getAccessibleName()).isEqualTo("Copy code");
        copy.click();
        page.await("the code on the clipboard", d -> (code + "\n").equals(clipboard()));
    }

    private String clipboard() {
        return (String) ((org.openqa.selenium.JavascriptExecutor) chromium.driver).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "navigator.clipboard.readText().then(done, e => done('failed: ' + e));");
    }

    private List<String> texts(String css) {
        return chromium.driver.findElements(By.cssSelector(css)).stream()
                .map(e -> e.getAttribute("textContent")).toList();
    }

    private void assertNothingRanOrLoaded(ConsolePage page, Catcher catcher) {
        assertThatExceptionOfType(NoAlertPresentException.class).isThrownBy(() -> chromium.driver.switchTo().alert());
        SoftAssertions softly = new SoftAssertions();
        softly.assertThat(page.script("return window.__pwned === undefined;")).as("a payload ran").isEqualTo(true);
        // The tab is titled by the chat (its first message, as text), never by the reply.
        softly.assertThat(chromium.driver.getTitle()).isEqualTo("Show me your worst · Companion Console");

        // Nothing from the reply became live markup: no element that runs, loads or submits, no
        // handler, no style, and only http(s) and mailto links.
        softly.assertThat(page.script("return [...document.querySelectorAll('#transcript :is(script, iframe, frame, "
                + "img, svg, math, object, embed, link, style, meta, base, form, input, video, audio, details, "
                + "picture, source)')].map(e => e.tagName);")).as("live elements").asList().isEmpty();
        softly.assertThat(page.script("return [...document.querySelectorAll('#transcript *')].flatMap(e => "
                + "[...e.attributes].filter(a => /^on/i.test(a.name) || ['style', 'src', 'srcdoc', 'formaction', "
                + "'ping', 'action'].includes(a.name)).map(a => e.tagName + ' ' + a.name));"))
                .as("handlers and loading attributes").asList().isEmpty();
        softly.assertThat(page.script("return [...document.querySelectorAll('#transcript [href]')]"
                + ".map(e => e.getAttribute('href')).filter(h => !/^(https?:|mailto:)/i.test(h));"))
                .as("links other than http(s) and mailto").asList().isEmpty();

        // Nothing was requested anywhere but this server, and nothing had to be stopped by the CSP:
        // the sanitiser, not the policy, is what kept it out.
        String origin = "http://127.0.0.1:" + server.port + "/";
        softly.assertThat(page.script("return performance.getEntriesByType('resource').map(e => e.name);"))
                .as("resources fetched").asList().isNotEmpty()
                .allSatisfy(name -> assertThat((String) name).startsWith(origin));
        softly.assertThat(page.script("return window.__violations;")).as("CSP violations").asList().isEmpty();
        softly.assertThat(chromium.driver.manage().logs().get(LogType.BROWSER).getAll())
                .extracting(LogEntry::getMessage).as("browser log")
                .noneMatch(m -> m.contains("Content Security Policy") || m.contains("203.0.113.9")
                        || m.contains(":" + catcher.port()));
        softly.assertThat(catcher.connections()).as("connections to another origin").isZero();
        softly.assertAll();
    }

    private static List<String> chunks(String text, int size) {
        List<String> pieces = new java.util.ArrayList<>();
        for (int i = 0; i < text.length(); i += size) {
            pieces.add(text.substring(i, Math.min(text.length(), i + size)));
        }
        return pieces;
    }

    /** A loopback listener on another origin that counts who tries to reach it. */
    private static final class Catcher implements AutoCloseable {
        private final ServerSocket socket;
        private final AtomicInteger connections = new AtomicInteger();

        Catcher() throws IOException {
            socket = new ServerSocket();
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            Thread thread = new Thread(() -> {
                while (true) {
                    try (Socket ignored = socket.accept()) {
                        connections.incrementAndGet();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "catcher");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        int connections() {
            return connections.get();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
