package dev.companion.adapter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.port.ModelResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a reply keeps beside its words, as the terminal shows it: an early ending (truncated,
 * filtered, refused) warned about after the text with its own exit code, the reasoning shown only
 * when asked and never in the reply's text, and items in JSON with HTTP's fields.
 */
class ReplyDetailsCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NL = System.lineSeparator();
    private static final String REPLY = "Here are three nice things: the sun is warm, the";

    private final ScriptedModel model = new ScriptedModel();
    private final RuntimeLauncher launcher = new RuntimeLauncher(model, Duration.ofMinutes(1));

    @AfterEach
    void close() {
        launcher.close();
    }

    private TranscriptItem lastItem() {
        List<TranscriptItem> items = launcher.companion().transcript(TranscriptQuery.newest()).items();
        return items.get(items.size() - 1);
    }

    // --- an early ending -------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = ModelResult.Ending.class, names = {"TRUNCATED", "FILTERED", "REFUSED"})
    void an_early_ending_prints_the_text_then_one_warning_and_exits_8(ModelResult.Ending ending) {
        model.result = ScriptedModel.endedEarly(ending);
        String code = ending.diagnosticCode().orElseThrow().wireName();

        Cli.Run run = Cli.run(launcher, "send", "three nice things");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.ENDED_EARLY).isEqualTo(8);
        assertThat(run.out()).isEqualTo(REPLY + NL);
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.errLines()[0]).startsWith("warning: ").endsWith(" (" + code + ")")
                .contains(model.result.endingDiagnostic().orElseThrow().message());
        assertThat(run.errLines()[1]).startsWith("hint: ");
        assertThat(lastItem().status().wireName()).isEqualTo(ending.name().toLowerCase(Locale.ROOT));
        assertThat(launcher.companion().status().state().wireName()).isEqualTo("ready");
    }

    @Test
    void a_truncated_reply_hints_at_the_output_limit_and_a_whole_one_exits_0() {
        model.result = ScriptedModel.endedEarly(ModelResult.Ending.TRUNCATED);
        assertThat(Cli.run(launcher, "send", "hi").errLines()[1]).contains("--max-output-tokens");

        model.result = ScriptedModel.completed();
        Cli.Run whole = Cli.run(launcher, "send", "hi");
        assertThat(whole.exitCode()).isZero();
        assertThat(whole.err()).isEmpty();
    }

    @Test
    void regenerate_and_edit_exit_8_too() {
        assertThat(Cli.run(launcher, "send", "hi").exitCode()).isZero();
        model.result = ScriptedModel.endedEarly(ModelResult.Ending.REFUSED);

        assertThat(Cli.run(launcher, "regenerate").exitCode()).isEqualTo(ExitCodes.ENDED_EARLY);
        assertThat(Cli.run(launcher, "edit", "hello").exitCode()).isEqualTo(ExitCodes.ENDED_EARLY);
    }

    @Test
    void send_json_carries_the_replys_status_reasoning_usage_and_diagnostics() throws Exception {
        model.reasoning = List.of("Okay, the user", " wants something nice.");
        model.result = ScriptedModel.endedEarly(ModelResult.Ending.TRUNCATED);

        Cli.Run run = Cli.run(launcher, "send", "three nice things", "--json");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.ENDED_EARLY);
        assertThat(run.err()).startsWith("warning: ").contains("(provider_reply_truncated)");
        JsonNode json = JSON.readTree(run.out());
        assertThat(json.get("state").asText()).isEqualTo("ready");
        assertThat(json.get("outcome").asText()).isEqualTo("completed");
        JsonNode reply = json.get("reply");
        assertThat(reply.get("status").asText()).isEqualTo("truncated");
        assertThat(reply.get("content").asText()).isEqualTo(REPLY);
        assertThat(reply.get("reasoning").asText()).isEqualTo("Okay, the user wants something nice.");
        assertThat(reply.get("reasoning_ms").isIntegralNumber()).isTrue();
        assertThat(reply.get("usage").toString())
                .isEqualTo("{\"input_tokens\":28,\"output_tokens\":12,\"reasoning_tokens\":5}");
        assertThat(reply.at("/diagnostics/0/code").asText()).isEqualTo("provider_reply_truncated");
        assertThat(reply.at("/diagnostics/0/severity").asText()).isEqualTo("warning");
        assertThat(json.get("diagnostics").findValuesAsText("code")).contains("provider_reply_truncated");
        // A user item has the same fields, empty, as HTTP prints them.
        JsonNode user = json.get("user_item");
        assertThat(user.get("reasoning").isNull()).isTrue();
        assertThat(user.get("reasoning_ms").isNull()).isTrue();
        assertThat(user.get("usage").isNull()).isTrue();
        assertThat(user.get("diagnostics")).isEmpty();
    }

    @Test
    void items_have_the_http_item_fields_in_its_order() throws Exception {
        assertThat(Cli.run(launcher, "send", "hi").exitCode()).isZero();

        JsonNode page = JSON.readTree(Cli.run(launcher, "transcript", "--json").out());
        JsonNode export = JSON.readTree(Cli.run(launcher, "transcript", "--export", "json").out());

        // docs/http-api.md, "Transcript item"; adapter-http's Wire.ItemJson.
        List<String> http = List.of("sequence", "role", "content", "created_at", "source", "status", "turn_id",
                "reasoning", "reasoning_ms", "usage", "diagnostics");
        for (JsonNode item : List.of(page.at("/items/0"), page.at("/items/1"), export.at("/items/1"))) {
            List<String> fields = new ArrayList<>();
            item.fieldNames().forEachRemaining(fields::add);
            assertThat(fields).containsExactlyElementsOf(http);
        }
        assertThat(export.at("/items/1/usage/output_tokens").asLong()).isEqualTo(12);
    }

    // --- reasoning -------------------------------------------------------------------------------

    @Test
    void without_show_reasoning_the_reasoning_is_not_shown() {
        model.reasoning = List.of("Okay, the user", " wants something nice.");

        Cli.Run run = Cli.run(launcher, "send", "hi");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo(REPLY + NL);
        assertThat(run.err()).isEmpty();
        assertThat(lastItem().details().reasoning()).isEqualTo("Okay, the user wants something nice.");
    }

    @Test
    void show_reasoning_puts_it_on_stderr_each_line_marked_then_how_long_before_the_reply() {
        model.reasoning = List.of("Okay, the user", " wants something nice.\nKeep it", " short.");

        Cli.Run run = Cli.run(launcher, "send", "hi", "--show-reasoning");

        assertThat(run.exitCode()).isZero();
        // Standard output stays the reply alone, for scripts.
        assertThat(run.out()).isEqualTo(REPLY + NL);
        assertThat(run.errLines()).hasSize(3);
        assertThat(run.errLines()[0]).isEqualTo("thinking: Okay, the user wants something nice.");
        assertThat(run.errLines()[1]).isEqualTo("thinking: Keep it short.");
        assertThat(run.errLines()[2]).matches("Thought for \\d+(\\.\\d)? s");
    }

    @Test
    void show_reasoning_with_a_reply_of_reasoning_alone_still_says_how_long() {
        model.reasoning = List.of("Let me count the tokens");
        model.text = List.of();
        model.result = ScriptedModel.endedEarly(ModelResult.Ending.TRUNCATED);

        Cli.Run run = Cli.run(launcher, "send", "hi", "--show-reasoning");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.ENDED_EARLY);
        assertThat(run.errLines()[0]).isEqualTo("thinking: Let me count the tokens");
        assertThat(run.errLines()[1]).startsWith("Thought for ");
        assertThat(run.errLines()[2]).startsWith("warning: ").endsWith("(provider_reply_truncated)");
    }

    @Test
    void with_colour_reasoning_is_faint_and_unprefixed() {
        StringWriter text = new StringWriter();
        ReasoningView view = new ReasoningView(new PrintWriter(text), Palette.coloured());
        Instant start = Instant.parse("2026-11-24T10:00:00Z");

        view.reasoning("Okay,", start);
        view.reasoning(" fine.", start.plusMillis(800));
        view.replyStarts(start.plusMillis(2_400));
        view.reasoning("late thoughts", start.plusMillis(2_500));

        assertThat(text.toString()).isEqualTo("\u001b[2mOkay,\u001b[0m\u001b[2m fine.\u001b[0m" + NL
                + "\u001b[2mThought for 2.4 s\u001b[0m" + NL);
    }

    @Test
    void a_reply_without_reasoning_shows_no_thinking_line() {
        StringWriter text = new StringWriter();
        ReasoningView view = new ReasoningView(new PrintWriter(text), Palette.plain());

        view.replyStarts(Instant.now());
        view.turnEnded(Optional.of(Duration.ofSeconds(3)));

        assertThat(text.toString()).isEmpty();
    }

    @Test
    void chat_shows_reasoning_before_the_reply_only_when_asked() {
        model.reasoning = List.of("Okay, the user wants something nice.");

        Cli.Run shown = Cli.runWithInput(launcher, "three nice things\n/exit\n", "chat", "--show-reasoning");
        Cli.Run hidden = Cli.runWithInput(launcher, "three nice things\n/exit\n", "chat");

        assertThat(shown.exitCode()).isZero();
        int thinking = shown.out().indexOf("thinking: Okay, the user wants something nice." + NL);
        int thought = shown.out().indexOf("Thought for ");
        int reply = shown.out().indexOf("companion> " + REPLY);
        assertThat(thinking).isNotNegative();
        assertThat(thought).isGreaterThan(thinking);
        assertThat(reply).isGreaterThan(thought);
        assertThat(hidden.out()).contains("companion> " + REPLY).doesNotContain("thinking").doesNotContain("Thought for");
    }

    @Test
    void chat_warns_after_a_filtered_reply_and_goes_on() {
        model.result = ScriptedModel.endedEarly(ModelResult.Ending.FILTERED);

        Cli.Run run = Cli.runWithInput(launcher, "hello\n/exit\n", "chat");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("companion> " + REPLY + NL);
        assertThat(run.errLines()[0]).startsWith("warning: ").endsWith("(provider_reply_filtered)");
    }

    // --- export and usage ------------------------------------------------------------------------

    @Test
    void markdown_export_shows_usage_reasoning_folded_and_how_the_reply_ended() {
        model.reasoning = List.of("Okay, the user wants something nice.");
        model.result = ScriptedModel.endedEarly(ModelResult.Ending.TRUNCATED);
        Cli.run(launcher, "send", "three nice things");

        Cli.Run run = Cli.run(launcher, "transcript", "--export", "markdown");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).containsPattern("\n## Companion · \\S+ \\(truncated\\)\n\n_Tokens: 28 in, 12 out \\(5 reasoning\\)_\n"
                + "\n<details><summary>Thought for \\d+(\\.\\d)? s</summary>\n\n```text\nOkay, the user wants something nice.\n```\n"
                + "\n</details>\n\n```markdown\n" + REPLY + "\n```\n");
    }

    @Test
    void transcript_usage_sums_every_replys_tokens() throws Exception {
        Cli.run(launcher, "send", "one");
        Cli.run(launcher, "send", "two");

        Cli.Run text = Cli.run(launcher, "transcript", "--usage");
        Cli.Run json = Cli.run(launcher, "transcript", "--usage", "--json");

        assertThat(text.exitCode()).isZero();
        assertThat(text.out()).isEqualTo("Tokens: 56 in, 24 out (10 reasoning) over 2 replies" + NL);
        JsonNode usage = JSON.readTree(json.out());
        assertThat(usage.get("state").asText()).isEqualTo("ready");
        assertThat(usage.get("conversation_id").asText()).isEqualTo("default");
        assertThat(usage.get("usage").toString())
                .isEqualTo("{\"input_tokens\":56,\"output_tokens\":24,\"reasoning_tokens\":10}");
        assertThat(usage.get("replies").asLong()).isEqualTo(2);
        assertThat(usage.get("counted_replies").asLong()).isEqualTo(2);
    }

    @Test
    void transcript_usage_of_replies_without_counts_says_so() throws Exception {
        try (RuntimeLauncher offline = RuntimeLauncher.offline()) {
            Cli.run(offline, "send", "one");

            Cli.Run text = Cli.run(offline, "transcript", "--usage");
            JsonNode json = JSON.readTree(Cli.run(offline, "transcript", "--usage", "--json").out());

            assertThat(text.out()).startsWith("Tokens: no reply has a count" + NL).contains("1 reply has no count");
            assertThat(json.get("usage").isNull()).isTrue();
            assertThat(json.get("replies").asLong()).isEqualTo(1);
            assertThat(json.get("counted_replies").asLong()).isZero();
        }
    }

    @Test
    void transcript_usage_is_of_the_whole_conversation_only() {
        assertThat(Cli.run(launcher, "transcript", "--usage", "--start", "0").exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(Cli.run(launcher, "transcript", "--usage", "--export", "json").exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    // --- options ---------------------------------------------------------------------------------

    @Test
    void max_output_tokens_reaches_the_launcher() {
        assertThat(Cli.run(launcher, "send", "hi", "--max-output-tokens", "200").exitCode()).isZero();
        assertThat(Cli.run(launcher, "chat", "--max-output-tokens", "1000000").exitCode()).isZero();
        assertThat(Cli.run(launcher, "status").exitCode()).isZero();

        assertThat(launcher.opened.get(0).provider().maxOutputTokens()).hasValue(200);
        assertThat(launcher.opened.get(1).provider().maxOutputTokens()).hasValue(1_000_000);
        assertThat(launcher.opened.get(2).provider().maxOutputTokens()).isEmpty();
    }

    @Test
    void a_max_output_tokens_out_of_range_is_one_usage_error_and_starts_nothing() {
        for (String value : List.of("0", "-5", "1000001", "many")) {
            Cli.Run run = Cli.run(launcher, "send", "hi", "--max-output-tokens", value);
            assertThat(run.exitCode()).as(value).isEqualTo(ExitCodes.USAGE);
            assertThat(run.errLines()).as(value).hasSize(2);
            assertThat(run.errLines()[0]).as(value).startsWith("error: ").contains("--max-output-tokens");
        }
        assertThat(Cli.run(launcher, "serve", "--max-output-tokens", "0").exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(Cli.run(launcher, "send", "hi", "--url", "http://127.0.0.1:9", "--max-output-tokens", "10")
                .errLines()[0]).contains("--max-output-tokens").contains("--url");
        assertThat(launcher.opened).isEmpty();
        assertThat(launcher.served).isEmpty();
    }

    @Test
    void serve_takes_max_running_turns_from_1_to_64_default_4() {
        assertThat(Cli.run(launcher, "serve", "--port", "0").exitCode()).isZero();
        assertThat(Cli.run(launcher, "serve", "--port", "0", "--max-running-turns", "64",
                "--max-output-tokens", "512").exitCode()).isZero();
        for (String value : List.of("0", "65", "four")) {
            Cli.Run run = Cli.run(launcher, "serve", "--max-running-turns", value);
            assertThat(run.exitCode()).as(value).isEqualTo(ExitCodes.USAGE);
            assertThat(run.errLines()[0]).as(value).startsWith("error: ").contains("--max-running-turns");
        }

        assertThat(launcher.served).hasSize(2);
        assertThat(launcher.served.get(0).maxRunningTurns()).isEqualTo(4);
        assertThat(launcher.served.get(1).maxRunningTurns()).isEqualTo(64);
        assertThat(launcher.served.get(1).provider().maxOutputTokens()).hasValue(512);
    }

    @Test
    void the_help_lists_exit_code_8_and_the_new_options() {
        Cli.Run send = Cli.run(launcher, "send", "--help");
        assertThat(send.out()).contains("8   ended early").contains("--show-reasoning").contains("--max-output-tokens");
        assertThat(Cli.run(launcher, "chat", "--help").out()).contains("--show-reasoning");
        assertThat(Cli.run(launcher, "serve", "--help").out()).contains("--max-running-turns");
    }

    @Test
    void docs_cli_md_lists_the_exit_codes_the_help_lists() throws Exception {
        // The module's directory is the working directory of its tests; the docs are beside it.
        String docs = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs", "cli.md"));
        List<String> documented = docs.lines().filter(line -> line.matches("\\| \\d+ \\| .*"))
                .map(line -> line.split(" ")[1]).toList();

        assertThat(documented).containsExactlyElementsOf(Failures.EXIT_CODE_HELP.keySet());
    }
}
