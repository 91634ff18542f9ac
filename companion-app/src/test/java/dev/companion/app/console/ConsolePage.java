package dev.companion.app.console;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/** The console as a user sees it: what to type and click, and what the page shows. */
final class ConsolePage {

    static final Duration PATIENCE = Duration.ofSeconds(20);

    private final WebDriver driver;

    ConsolePage(WebDriver driver) {
        this.driver = driver;
    }

    /** Opens the console and waits until its event stream is connected. */
    ConsolePage open(URI uri) {
        driver.get(uri.toString());
        awaitConnection("live");
        return this;
    }

    WebElement message() {
        return driver.findElement(By.id("message"));
    }

    void type(CharSequence... keys) {
        message().sendKeys(keys);
    }

    void clickSend() {
        driver.findElement(By.id("send")).click();
    }

    void clickCancel() {
        driver.findElement(By.id("cancel")).click();
    }

    /**
     * Activates "Load older messages" as a keyboard does, without scrolling to it first: scrolling
     * up to the top loads the page before by itself (ConsoleLongConversationTest covers that).
     */
    void clickLoadOlder() {
        script("document.getElementById('load-older').click();");
    }

    String connection() {
        return text("#connection");
    }

    String state() {
        return text("#state-badge");
    }

    String outcomeWord() {
        return text("#outcome:not([hidden]) #outcome-word");
    }

    String outcomeText() {
        return text("#outcome:not([hidden]) #outcome-text");
    }

    /** The text of the reply still streaming, or null when none is. */
    String pendingText() {
        return text("#transcript li[data-pending='true'] .item-body");
    }

    /** The text of the stored item with this sequence as shown, or null when it is not shown. */
    String itemText(long sequence) {
        return text("#transcript li[data-sequence='" + sequence + "'] .item-body");
    }

    /** The status badge of a stored item ("cancelled", …), or "" for a normal one. */
    String itemStatus(long sequence) {
        return text("#transcript li[data-sequence='" + sequence + "'] .item-status");
    }

    /** The sentence a stored item's bubble says about how it ended, or null when it says none. */
    String itemEnding(long sequence) {
        return text(item(sequence) + " .item-ending");
    }

    /** The token counts shown under a stored reply, or null when none are. */
    String itemUsage(long sequence) {
        return text(item(sequence) + " .item-usage");
    }

    /** A CSS selector for the stored item with this sequence. */
    static String item(long sequence) {
        return "#transcript li[data-sequence='" + sequence + "']";
    }

    WebElement element(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    /** Whether the element is there and the reader can see it. */
    boolean visible(String css) {
        List<WebElement> found = driver.findElements(By.cssSelector(css));
        return !found.isEmpty() && found.get(0).isDisplayed();
    }

    /** Whether a {@code <details>} is open. */
    boolean open(String css) {
        return Boolean.TRUE.equals(script("const e = document.querySelector(arguments[0]); return Boolean(e && e.open);", css));
    }

    /** What the clipboard holds now. */
    String clipboard() {
        return (String) ((JavascriptExecutor) driver).executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "navigator.clipboard.readText().then(done, e => done('failed: ' + e));");
    }

    /** The sequences of the stored items shown, in page order. */
    List<Long> shownSequences() {
        List<?> raw = (List<?>) script("return [...document.querySelectorAll('#transcript li.item:not([data-pending])')]"
                + ".map(li => Number(li.dataset.sequence));");
        return raw.stream().map(o -> ((Number) o).longValue()).toList();
    }

    String text(String css) {
        return (String) script("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", css);
    }

    Object script(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(js, args);
    }

    void awaitConnection(String word) {
        await("connection " + word, d -> word.equals(connection()));
    }

    void awaitOutcome(String word) {
        await("outcome " + word, d -> word.equals(outcomeWord()));
    }

    /** Waits until the streaming reply shows this text (white space compared as Markdown lays it out). */
    void awaitPendingText(String expected) {
        await("streamed text \"" + expected + "\"", d -> squeezed(expected).equals(squeezed(pendingText())));
    }

    void awaitItemText(long sequence, String expected) {
        await("item " + sequence + " showing \"" + expected + "\"",
                d -> squeezed(expected).equals(squeezed(itemText(sequence))));
    }

    /** Rendered Markdown ends paragraphs with a line break and drops trailing blanks. */
    static String squeezed(String text) {
        return text == null ? null : text.replaceAll("\\s+", " ").strip();
    }

    <T> T await(String what, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, PATIENCE).pollingEvery(Duration.ofMillis(100)).withMessage(() -> "waiting for " + what + "; the page shows state="
                + state() + ", connection=" + connection() + ", outcome=" + outcomeWord() + " " + outcomeText()
                + ", streaming=" + pendingText()).until(asCondition(condition));
    }

    private static <T> ExpectedCondition<T> asCondition(Function<WebDriver, T> condition) {
        return d -> {
            T value = condition.apply(Objects.requireNonNull(d));
            return value instanceof Boolean b && !b ? null : value;
        };
    }
}
