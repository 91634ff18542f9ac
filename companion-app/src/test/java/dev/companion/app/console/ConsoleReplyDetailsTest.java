package dev.companion.app.console;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.port.ModelResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.openqa.selenium.Keys;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a reply keeps beside its words shows in its own bubble, live and after a reload: how it
 * ended when it did not simply finish, the model's reasoning (folded), the tokens it took; and
 * replies that a regenerate replaced are folded away.
 */
class ConsoleReplyDetailsTest extends ScriptedConsoleTest {

    static Stream<Arguments> earlyEndings() {
        return Stream.of(
                Arguments.of(ModelResult.Ending.TRUNCATED, "length", Diagnostic.warning(DiagnosticCode.PROVIDER_REPLY_TRUNCATED,
                        "The provider cut the reply off at its output limit (max_tokens); what arrived is kept.")),
                Arguments.of(ModelResult.Ending.FILTERED, "content_filter", Diagnostic.warning(
                        DiagnosticCode.PROVIDER_REPLY_FILTERED, "The provider's content filter stopped the reply.")),
                Arguments.of(ModelResult.Ending.REFUSED, "refusal", Diagnostic.warning(DiagnosticCode.PROVIDER_REPLY_REFUSED,
                        "The model declined to answer this request.")));
    }

    @ParameterizedTest
    @MethodSource("earlyEndings")
    void a_reply_that_ended_early_says_so_in_its_bubble_live_and_after_a_reload(
            ModelResult.Ending ending, String stopReason, Diagnostic diagnostic) throws Exception {
        String status = ending.name().toLowerCase(Locale.ROOT);
        page.open(server.console());
        page.type("Tell me everything", Keys.ENTER);
        server.model.awaitCall();
        server.model.emit("The first part of");
        page.awaitPendingText("The first part of");
        server.model.end(new ModelResult(ending, Optional.of(stopReason), Optional.empty(), List.of(diagnostic)));

        page.awaitItemText(1, "The first part of");
        page.awaitOutcome(status);
        assertThat(page.outcomeText()).contains(diagnostic.message());
        assertEndingShown(page, status, diagnostic.message());
        // Finished replies are announced with how they ended.
        page.await("the ending announced", d -> String.valueOf(page.text("#announcer")).contains(diagnostic.message()));
        assertThat(server.transcript()).extracting(TranscriptItem::status)
                .containsExactly(ItemStatus.ACCEPTED, ItemStatus.valueOf(ending.name()));

        page.open(server.console());
        page.awaitItemText(1, "The first part of");
        assertEndingShown(page, status, diagnostic.message());
    }

    private static void assertEndingShown(ConsolePage page, String status, String sentence) {
        assertThat(page.itemStatus(1)).isEqualTo(status);
        assertThat(page.itemEnding(1)).isEqualTo(sentence);
        assertThat(page.visible(ConsolePage.item(1) + " .item-ending")).as("the ending is visible").isTrue();
        // Said inside the reply's own list item, as text (not a colour, not a tooltip), where a
        // screen reader reads the reply; and apart from the reply's words.
        assertThat(page.script("const note = document.querySelector(arguments[0]);"
                + "return note.closest('[aria-hidden=\"true\"], .visually-hidden') === null;",
                ConsolePage.item(1) + " .item-ending")).isEqualTo(true);
        assertThat(page.itemText(1)).doesNotContain(sentence);
    }

    @Test
    void reasoning_streams_folded_opens_on_click_and_is_never_part_of_the_reply() throws Exception {
        page.open(server.console());
        page.type("What is six times seven?", Keys.ENTER);
        server.model.awaitCall();
        server.model.think("Six <b>sevens</b>: ");
        String pendingFold = "#transcript li[data-pending='true'] details.reasoning";
        page.await("the reasoning streaming in", d -> "Six <b>sevens</b>: ".equals(page.text(pendingFold + " .reasoning-body")));
        assertThat(page.text(pendingFold + " summary")).isEqualTo("Thinking…");
        assertThat(page.open(pendingFold)).as("the reasoning starts folded").isFalse();
        assertThat(page.visible(pendingFold + " .reasoning-body")).isFalse();
        assertThat(page.pendingText()).isEmpty();
        server.model.think("seven, fourteen, … forty-two.");
        page.await("more reasoning", d -> String.valueOf(page.text(pendingFold + " .reasoning-body")).endsWith("forty-two."));

        server.model.emit("It is **42**.");
        page.awaitPendingText("It is 42.");
        server.model.finish(new TokenUsage(1234, 56, 30));
        page.awaitItemText(1, "It is 42.");
        page.awaitOutcome("completed");

        TranscriptItem stored = server.transcript().get(1);
        String reasoning = "Six <b>sevens</b>: seven, fourteen, … forty-two.";
        assertThat(stored.details().reasoning()).isEqualTo(reasoning);
        String thought = "Thought for " + seconds(stored.details().reasoningTime().orElseThrow());
        String fold = ConsolePage.item(1) + " details.reasoning";
        assertReasoningFolded(page, fold, thought, reasoning);
        page.element(fold + " summary").click();
        page.await("the reasoning opened", d -> page.visible(fold + " .reasoning-body"));
        assertThat(page.text(fold + " .reasoning-body")).isEqualTo(reasoning);
        // Reasoning is model output too: shown as the text it is, never as markup.
        assertThat(page.script("return document.querySelectorAll('#transcript .reasoning-body *').length;")).isEqualTo(0L);

        // The reply is its words: not its reasoning, in the page or on the clipboard.
        assertThat(page.itemText(1)).doesNotContain("sevens");
        page.element(ConsolePage.item(1) + " button.copy-reply").click();
        page.await("the reply on the clipboard", d -> "It is **42**.".equals(page.clipboard()));
        assertThat(page.text("#announcer")).doesNotContain("sevens");

        assertThat(page.itemUsage(1)).isEqualTo("Tokens: 1,234 in · 56 out (30 reasoning)");
        assertThat(page.text("#usage-input")).isEqualTo("1,234");
        assertThat(page.text("#usage-output")).isEqualTo("56");
        assertThat(page.text("#usage-reasoning")).isEqualTo("30");

        // A second reply without reasoning adds to the conversation's total.
        server.model.emit("Yes.");
        server.model.finish(new TokenUsage(1300, 4));
        page.type("Sure?", Keys.ENTER);
        page.awaitItemText(3, "Yes.");
        assertThat(page.itemUsage(3)).isEqualTo("Tokens: 1,300 in · 4 out");
        assertThat(page.visible(ConsolePage.item(3) + " details.reasoning")).isFalse();
        page.await("the total counted", d -> "2,534".equals(page.text("#usage-input")));
        assertThat(page.text("#usage-output")).isEqualTo("60");
        assertThat(page.text("#usage-reasoning")).isEqualTo("30");
        assertThat(page.text("#usage-scope")).contains("2 replies");

        // After a reload the stored reasoning shows the same way, and opens from the keyboard too.
        page.open(server.console());
        page.awaitItemText(1, "It is 42.");
        assertReasoningFolded(page, fold, thought, reasoning);
        page.element(fold + " summary").sendKeys(Keys.ENTER);
        page.await("the reasoning opened by keyboard", d -> page.visible(fold + " .reasoning-body"));
        assertThat(page.itemUsage(1)).isEqualTo("Tokens: 1,234 in · 56 out (30 reasoning)");
        assertThat(page.text("#usage-input")).isEqualTo("2,534");
    }

    private static void assertReasoningFolded(ConsolePage page, String fold, String summary, String reasoning) {
        assertThat(page.text(fold + " summary")).isEqualTo(summary);
        assertThat(page.open(fold)).as("the reasoning is folded").isFalse();
        assertThat(page.visible(fold + " .reasoning-body")).isFalse();
        assertThat(page.text(fold + " .reasoning-body")).isEqualTo(reasoning);
    }

    /** How the console says a duration: one decimal under 10 s, whole seconds after. */
    private static String seconds(Duration took) {
        long ms = took.toMillis();
        if (ms < 100) {
            return "less than 0.1 s";
        }
        if (ms < 10_000) {
            return String.format(Locale.ROOT, "%.1f s", Math.round(ms / 100.0) / 10.0);
        }
        long s = Math.round(ms / 1000.0);
        return s < 60 ? s + " s" : s % 60 == 0 ? s / 60 + " min" : s / 60 + " min " + s % 60 + " s";
    }

    @Test
    void a_regenerated_answer_folds_the_one_it_replaced_live_and_after_a_reload() throws Exception {
        page.open(server.console());
        server.model.script("The first answer.");
        page.type("Say something", Keys.ENTER);
        page.awaitItemText(1, "The first answer.");
        page.awaitOutcome("completed");

        server.model.script("A better answer.");
        HttpResponse<String> regenerated = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        server.server.baseUri().resolve("/api/companion/regenerate"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(regenerated.statusCode()).isEqualTo(202);

        // Live: the page did not send it, yet it shows the new answer and folds the old one.
        page.awaitItemText(2, "A better answer.");
        page.await("the first answer superseded", d -> "superseded".equals(page.itemStatus(1)));
        assertSupersededFolded(page);

        page.open(server.console());
        page.awaitItemText(2, "A better answer.");
        assertSupersededFolded(page);
        page.element(ConsolePage.item(1) + " summary").click();
        page.await("the previous answer opened", d -> page.visible(ConsolePage.item(1) + " .item-body"));
        assertThat(ConsolePage.squeezed(page.itemText(1))).isEqualTo("The first answer.");
    }

    private static void assertSupersededFolded(ConsolePage page) {
        String fold = ConsolePage.item(1) + " details.superseded-fold";
        assertThat(page.text(fold + " > summary")).isEqualTo("Previous answer");
        assertThat(page.open(fold)).as("the previous answer is folded").isFalse();
        assertThat(page.visible(ConsolePage.item(1) + " .item-body")).isFalse();
        assertThat(page.shownSequences()).containsExactly(0L, 1L, 2L);
        assertThat(page.visible(ConsolePage.item(2) + " .item-body")).isTrue();
        assertThat(page.text(ConsolePage.item(2) + " .item-status")).isEmpty();
    }
}
