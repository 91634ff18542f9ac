package dev.companion.adapter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderChoice;
import dev.companion.core.CancelCommand;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.port.LanguageModelException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class CompanionCommandLineTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RuntimeLauncher launcher = RuntimeLauncher.offline();

    @AfterEach
    void close() {
        launcher.close();
    }

    private void use(RuntimeLauncher other) {
        launcher.close();
        launcher = other;
    }

    // --- help, version, usage errors -------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"", "serve", "status", "workers", "transcript", "send", "regenerate", "edit", "chat",
            "completion", "conversations", "conversations new", "conversations rename", "conversations delete"})
    void every_command_has_help_with_an_example_and_the_exit_codes(String command) {
        Cli.Run run = Cli.run(launcher, args(command, "--help"));

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Usage: companion").contains("Examples:").contains("  companion ")
                .contains("Exit codes:").contains("3   busy").contains("6   unavailable");
        assertThat(run.err()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "serve", "status", "workers", "transcript", "send", "regenerate", "edit", "chat",
            "completion", "conversations", "conversations new"})
    void every_command_prints_the_version(String command) {
        Cli.Run run = Cli.run(launcher, args(command, "--version"));

        assertThat(run.exitCode()).isZero();
        assertThat(run.out().strip()).isEqualTo("companion 1.2.3");
    }

    @Test
    void an_unknown_option_is_one_error_line_and_a_hint_with_exit_code_2() {
        Cli.Run run = Cli.run(launcher, "status", "--bogus");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE).isEqualTo(2);
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.errLines()[0]).startsWith("error: ").contains("--bogus");
        assertThat(run.errLines()[1]).startsWith("hint: ").contains("companion status --help");
        assertThat(run.out()).isEmpty();
        assertThat(launcher.opened).isEmpty();
    }

    @Test
    void a_mistyped_command_gets_a_suggestion() {
        Cli.Run run = Cli.run(launcher, "stauts");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.errLines()[1]).contains("did you mean").contains("status");
    }

    @Test
    void no_command_is_a_usage_error() {
        assertThat(Cli.run(launcher).exitCode()).isEqualTo(2);
    }

    @Test
    void an_unknown_provider_is_a_usage_error_naming_the_choices() {
        Cli.Run run = Cli.run(launcher, "status", "--provider", "gpt");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()[0]).contains("offline").contains("openai").contains("anthropic").contains("auto");
    }

    @Test
    void a_key_pasted_into_api_key_env_is_refused_without_being_echoed() {
        Cli.Run run = Cli.run(launcher, "status", "--api-key-env", "sk-live-0123456789abcdef");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--api-key-env").doesNotContain("sk-live-0123456789abcdef");
        assertThat(launcher.opened).isEmpty();
    }

    @Test
    void in_process_settings_with_url_are_refused_rather_than_silently_ignored() {
        Cli.Run run = Cli.run(launcher, "status", "--url", "http://127.0.0.1:9", "--provider", "openai");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()[0]).contains("--provider");
    }

    @Test
    void a_url_that_is_not_http_is_a_usage_error() {
        assertThat(Cli.run(launcher, "status", "--url", "file:///tmp/x").exitCode()).isEqualTo(2);
    }

    @Test
    void connection_options_reach_the_launcher() {
        Cli.Run run = Cli.run(launcher, "status", "--provider", "OpenAI", "--model", "gpt-x",
                "--base-url", "http://localhost:11434/v1", "--api-key-env", "MY_KEY", "--data-dir", "data");

        assertThat(run.exitCode()).isZero();
        CompanionCommandLine.ConnectOptions options = launcher.opened.get(0);
        assertThat(options.remote()).isFalse();
        assertThat(options.provider().provider()).isEqualTo(ProviderChoice.OPENAI);
        assertThat(options.provider().model()).contains("gpt-x");
        assertThat(options.provider().apiKeyEnv()).contains("MY_KEY");
        assertThat(options.provider().baseUrl()).hasValueSatisfying(uri -> assertThat(uri.getPort()).isEqualTo(11434));
        assertThat(options.storage().dataDir()).contains(Path.of("data"));
        assertThat(options.storage().ephemeral()).isFalse();
    }

    @Test
    void the_four_time_limits_reach_the_launcher_in_seconds_and_bad_values_are_usage_errors() {
        Cli.Run run = Cli.run(launcher, "status", "--connect-timeout", "5", "--first-token-timeout", "300",
                "--idle-timeout", "45", "--total-timeout", "900");

        assertThat(run.exitCode()).isZero();
        CompanionCommandLine.TimeLimits limits = launcher.opened.get(0).provider().timeLimits();
        assertThat(limits.connect()).contains(java.time.Duration.ofSeconds(5));
        assertThat(limits.firstToken()).contains(java.time.Duration.ofSeconds(300));
        assertThat(limits.idle()).contains(java.time.Duration.ofSeconds(45));
        assertThat(limits.total()).contains(java.time.Duration.ofMinutes(15));
        assertThat(Cli.run(launcher, "status", "--idle-timeout", "0").exitCode()).isEqualTo(2);
        assertThat(Cli.run(launcher, "status", "--idle-timeout", "soon").exitCode()).isEqualTo(2);
        assertThat(Cli.run(launcher, "status", "--url", "http://127.0.0.1:1", "--total-timeout", "60").err())
                .contains("--total-timeout applies to the in-process Companion");
    }

    @Test
    void data_dir_and_ephemeral_together_are_a_usage_error() {
        assertThat(Cli.run(launcher, "status", "--ephemeral", "--data-dir", "x").exitCode()).isEqualTo(2);
    }

    // --- failures at the edge ---------------------------------------------------------------------

    @Test
    void an_unreachable_server_is_one_line_with_a_hint_and_exit_code_6() {
        launcher.failure = () -> new CompanionException(CompanionState.ERROR, Diagnostic.error(
                DiagnosticCode.SERVER_UNREACHABLE, "No Companion server answers at 127.0.0.1:9."));

        Cli.Run run = Cli.run(launcher, "status", "--url", "http://127.0.0.1:9");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE).isEqualTo(6);
        assertThat(run.errLines()).containsExactly(
                "error: No Companion server answers at 127.0.0.1:9. (server_unreachable)",
                "hint: start one with 'companion serve', or check the address given to --url");
        assertThat(launcher.opened.get(0).url()).hasValueSatisfying(url -> assertThat(url.getPort()).isEqualTo(9));
    }

    @Test
    void a_held_data_directory_exits_7_and_suggests_url() {
        launcher.failure = () -> new CompanionException(CompanionState.ERROR, Diagnostic.error(
                DiagnosticCode.DATA_DIRECTORY_LOCKED, "Another Companion is using this data directory."));

        Cli.Run run = Cli.run(launcher, "send", "hello");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.DATA_DIRECTORY_LOCKED).isEqualTo(7);
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.errLines()[1]).contains("--url");
    }

    @Test
    void a_busy_port_on_serve_is_a_clear_message_not_a_stack_trace() {
        launcher.failure = () -> new CompanionException(CompanionState.ERROR, Diagnostic.error(
                DiagnosticCode.PORT_IN_USE, "Port 8765 on 127.0.0.1 is already in use."));

        Cli.Run run = Cli.run(launcher, "serve");

        assertThat(run.exitCode()).isEqualTo(6);
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.errLines()[0]).isEqualTo("error: Port 8765 on 127.0.0.1 is already in use. (port_in_use)");
        assertThat(run.errLines()[1]).contains("--port");
    }

    @Test
    void an_unexpected_failure_names_only_its_type_and_exits_1() {
        launcher.failure = () -> new IllegalStateException("/home/someone/.companion/secret.key is broken");

        Cli.Run run = Cli.run(launcher, "workers");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.ERROR);
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.err()).contains("IllegalStateException").contains("(internal_error)")
                .doesNotContain("/home/someone").doesNotContain("at dev.").doesNotContain("\tat ");
    }

    @Test
    void a_failure_with_json_also_prints_a_json_object_for_scripts() throws Exception {
        launcher.failure = () -> new CompanionException(CompanionState.ERROR, Diagnostic.error(
                DiagnosticCode.SERVER_UNREACHABLE, "No Companion server answers."));

        Cli.Run run = Cli.run(launcher, "send", "hi", "--json");

        JsonNode json = JSON.readTree(run.out());
        assertThat(json.get("state").asText()).isEqualTo("error");
        assertThat(json.get("diagnostics").get(0).get("code").asText()).isEqualTo("server_unreachable");
        assertThat(run.exitCode()).isEqualTo(6);
    }

    // --- serve -----------------------------------------------------------------------------------

    @Test
    void serve_prints_the_console_address_and_says_replies_are_not_from_an_llm() {
        Cli.Run run = Cli.run(launcher, "serve");

        assertThat(run.exitCode()).isZero();
        String limitation = launcher.companion().status().transport().limitation().orElseThrow();
        assertThat(run.out()).contains("Companion console: http://127.0.0.1:8765/console").contains(limitation);
        CompanionCommandLine.ServeOptions options = launcher.served.get(0);
        assertThat(options.host()).isEqualTo("127.0.0.1");
        assertThat(options.port()).isEqualTo(8765);
        assertThat(options.provider().provider()).isEqualTo(ProviderChoice.AUTO);
        assertThat(options.accessTokenFile()).isEmpty();
    }

    @Test
    void serve_takes_host_port_and_storage() {
        Cli.Run run = Cli.run(launcher, "serve", "--host", "0.0.0.0", "--port", "0", "--ephemeral",
                "--access-token-file", "token.txt");

        assertThat(run.exitCode()).isZero();
        CompanionCommandLine.ServeOptions options = launcher.served.get(0);
        assertThat(options.host()).isEqualTo("0.0.0.0");
        assertThat(options.port()).isZero();
        assertThat(options.storage().ephemeral()).isTrue();
        assertThat(options.accessTokenFile()).contains(Path.of("token.txt"));
    }

    @Test
    void serve_with_a_live_provider_prints_no_offline_notice() {
        use(new RuntimeLauncher(new GatedModel(), Duration.ofMinutes(1)));

        Cli.Run run = Cli.run(launcher, "serve", "--port", "9000");

        assertThat(run.out().strip().split("\\R")).hasSize(2);
        assertThat(run.out()).contains("http://127.0.0.1:9000/console");
    }

    @Test
    void a_port_out_of_range_is_a_usage_error() {
        assertThat(Cli.run(launcher, "serve", "--port", "70000").exitCode()).isEqualTo(2);
        assertThat(launcher.served).isEmpty();
    }

    // --- status, workers -------------------------------------------------------------------------

    @Test
    void status_says_plainly_that_the_offline_model_is_not_an_llm() {
        Cli.Run run = Cli.run(launcher, "status");

        assertThat(run.exitCode()).isZero();
        String limitation = launcher.companion().status().transport().limitation().orElseThrow();
        assertThat(run.out()).contains("state:       ready").contains("provider:    offline")
                .contains("not live").contains(limitation).contains("conversation_only");
    }

    @Test
    void status_json_carries_the_projection_in_snake_case() throws Exception {
        Cli.Run run = Cli.run(launcher, "status", "--json");

        JsonNode json = JSON.readTree(run.out());
        assertThat(json.get("state").asText()).isEqualTo("ready");
        assertThat(json.get("provider").get("kind").asText()).isEqualTo("offline");
        assertThat(json.get("provider").get("live").asBoolean()).isFalse();
        assertThat(json.get("authority").asText()).isEqualTo("conversation_only");
        assertThat(json.get("worker").get("capabilities")).hasSize(2);
        assertThat(json.get("conversation_id").asText()).isEqualTo("default");
        assertThat(json.get("running_turn_id").isNull()).isTrue();
        assertThat(json.get("running_turn").isNull()).as("the deprecated alias, kept one release").isTrue();
        assertThat(run.out().strip().split("\\R")).hasSize(1);
    }

    @Test
    void workers_lists_the_companion_with_its_authority() throws Exception {
        Cli.Run text = Cli.run(launcher, "workers");
        Cli.Run json = Cli.run(launcher, "workers", "--json");

        assertThat(text.exitCode()).isZero();
        assertThat(text.out()).contains("ID").contains("companion").contains("Companion").contains("ready")
                .contains("conversation_only").contains("accept_input, read_own_transcript");
        JsonNode worker = JSON.readTree(json.out()).get("workers").get(0);
        assertThat(worker.get("id").asText()).isEqualTo("companion");
        assertThat(worker.get("status").asText()).isEqualTo("ready");
    }

    // --- send ------------------------------------------------------------------------------------

    @Test
    void send_prints_the_streamed_reply_and_exits_0() {
        Cli.Run run = Cli.run(launcher, "send", "hello there");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.OK);
        List<TranscriptItem> items = launcher.companion().transcript(TranscriptQuery.newest()).items();
        assertThat(items).hasSize(2);
        assertThat(items.get(0).content()).isEqualTo("hello there");
        assertThat(items.get(0).source()).isEqualTo("cli");
        assertThat(items.get(1).role()).isEqualTo(Role.ASSISTANT);
        assertThat(run.out()).isEqualTo(items.get(1).content() + System.lineSeparator());
        assertThat(run.err()).isEmpty();
    }

    @Test
    void send_json_prints_one_object_that_parses() throws Exception {
        Cli.Run run = Cli.run(launcher, "send", "hello \"quoted\"\u2028 line", "--json");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out().strip().split("\\R")).hasSize(1);
        JsonNode json = JSON.readTree(run.out());
        TranscriptItem reply = launcher.companion().transcript(TranscriptQuery.newest()).items().get(1);
        assertThat(json.get("state").asText()).isEqualTo("ready");
        assertThat(json.get("outcome").asText()).isEqualTo("completed");
        assertThat(json.get("conversation_id").asText()).isEqualTo("default");
        assertThat(json.get("turn_id").asText()).isEqualTo(reply.turnId().value());
        assertThat(json.get("user_item").get("content").asText()).isEqualTo("hello \"quoted\"\u2028 line");
        assertThat(json.get("reply").get("content").asText()).isEqualTo(reply.content());
        assertThat(json.get("reply").get("role").asText()).isEqualTo("assistant");
        assertThat(json.get("reply").get("created_at").asText()).isEqualTo(reply.createdAt().toString());
        assertThat(json.get("diagnostics").isArray()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"-", ""})
    void send_reads_the_message_from_standard_input(String dash) {
        String[] args = dash.isEmpty() ? new String[] {"send"} : new String[] {"send", dash};
        Cli.Run run = Cli.runWithInput(launcher, "first line\nsecond line\n", args);

        assertThat(run.exitCode()).isZero();
        assertThat(launcher.companion().transcript(TranscriptQuery.newest()).items().get(0).content())
                .isEqualTo("first line\nsecond line");
    }

    @Test
    void an_empty_message_is_rejected_with_exit_2_and_changes_nothing() {
        Cli.Run run = Cli.runWithInput(launcher, "  \n", "send");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.errLines()[0]).startsWith("error: ").endsWith("(empty_message)");
        assertThat(launcher.companion().transcript(TranscriptQuery.newest()).totalItems()).isZero();
        assertThat(launcher.opened).isEmpty();
    }

    @Test
    void a_message_over_the_limit_is_rejected_with_exit_2() {
        Cli.Run run = Cli.run(launcher, "send", "x".repeat(SendMessageCommand.MAX_CHARACTERS + 1), "--json");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("(message_too_long)");
        assertThat(run.out()).contains("\"state\":\"rejected\"");
    }

    @Test
    void a_send_during_a_running_turn_is_busy_with_exit_3() throws Exception {
        GatedModel model = new GatedModel();
        use(new RuntimeLauncher(model, Duration.ofMinutes(1)));
        CompletableFuture<Cli.Run> first = CompletableFuture.supplyAsync(() -> Cli.run(launcher, "send", "first"));
        assertThat(model.started.await(10, TimeUnit.SECONDS)).isTrue();

        Cli.Run busy = Cli.run(launcher, "send", "second");
        Cli.Run busyJson = Cli.run(launcher, "send", "third", "--json");
        String running = launcher.companion().status().runningTurn().orElseThrow().value();
        model.gate.countDown();
        Cli.Run completed = first.get(10, TimeUnit.SECONDS);

        assertThat(busy.exitCode()).isEqualTo(ExitCodes.BUSY).isEqualTo(3);
        assertThat(busy.errLines()).hasSize(2);
        assertThat(busy.errLines()[0]).endsWith("(companion_busy)");
        JsonNode busyAnswer = JSON.readTree(busyJson.out());
        assertThat(busyAnswer.get("state").asText()).isEqualTo("busy");
        assertThat(busyAnswer.get("conversation_id").asText()).isEqualTo("default");
        assertThat(busyAnswer.get("running_turn_id").asText()).isEqualTo(running);
        assertThat(busyAnswer.get("running_turn").asText()).as("the deprecated alias").isEqualTo(running);
        assertThat(busyJson.exitCode()).isEqualTo(3);
        assertThat(completed.exitCode()).isZero();
        assertThat(completed.out()).isEqualTo("late reply" + System.lineSeparator());
        assertThat(launcher.companion().transcript(TranscriptQuery.newest()).items())
                .extracting(TranscriptItem::content).containsExactly("first", "late reply");
    }

    @Test
    void a_cancelled_turn_exits_5() throws Exception {
        GatedModel model = new GatedModel();
        use(new RuntimeLauncher(model, Duration.ofMinutes(1)));
        CompletableFuture<Cli.Run> send = CompletableFuture.supplyAsync(() -> Cli.run(launcher, "send", "stop me"));
        assertThat(model.started.await(10, TimeUnit.SECONDS)).isTrue();

        launcher.companion().cancel(CancelCommand.running());
        Cli.Run run = send.get(10, TimeUnit.SECONDS);

        assertThat(run.exitCode()).isEqualTo(ExitCodes.CANCELLED).isEqualTo(5);
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.errLines()[0]).contains("(cancelled)");
    }

    @Test
    void a_turn_past_its_time_limit_exits_4() {
        use(new RuntimeLauncher(new GatedModel(), Duration.ofMillis(50)));

        Cli.Run run = Cli.run(launcher, "send", "never answered", "--json");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.TIMEOUT).isEqualTo(4);
        assertThat(run.out()).contains("\"state\":\"timeout\"")
                .as("the outcome word is the core's, as HTTP prints it").contains("\"outcome\":\"timed_out\"");
        assertThat(run.err()).contains("(turn_timeout)");
    }

    @Test
    void a_provider_failure_exits_1_with_its_diagnostic() {
        GatedModel model = new GatedModel();
        model.failure = LanguageModelException.error(Diagnostic.error(DiagnosticCode.MODEL_FAILED,
                "The provider answered 500."), false);
        model.gate.countDown();
        use(new RuntimeLauncher(model, Duration.ofMinutes(1)));

        Cli.Run run = Cli.run(launcher, "send", "hi");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.ERROR);
        assertThat(run.err()).contains("The provider answered 500. (model_failed)").doesNotContain("at dev.");
    }

    // --- regenerate, edit -------------------------------------------------------------------------

    @Test
    void regenerate_answers_the_last_message_again_and_supersedes_the_old_reply() throws Exception {
        assertThat(Cli.run(launcher, "send", "hello").exitCode()).isZero();

        Cli.Run run = Cli.run(launcher, "regenerate", "--json");

        assertThat(run.exitCode()).isZero();
        JsonNode json = JSON.readTree(run.out());
        assertThat(json.get("outcome").asText()).isEqualTo("completed");
        assertThat(json.at("/user_item/content").asText()).isEqualTo("hello");
        List<TranscriptItem> items = launcher.companion().transcript(TranscriptQuery.newest()).items();
        assertThat(items).extracting(TranscriptItem::status)
                .containsExactly(ItemStatus.ACCEPTED, ItemStatus.SUPERSEDED, ItemStatus.COMPLETED);
        assertThat(json.at("/reply/sequence").asLong()).isEqualTo(2);
    }

    @Test
    void edit_replaces_the_last_message_and_answers_it() {
        assertThat(Cli.run(launcher, "send", "a name for a cat").exitCode()).isZero();

        Cli.Run run = Cli.runWithInput(launcher, "a name for a dog\n", "edit");

        assertThat(run.exitCode()).isZero();
        List<TranscriptItem> items = launcher.companion().transcript(TranscriptQuery.newest()).items();
        assertThat(items).extracting(TranscriptItem::content).startsWith("a name for a cat").contains("a name for a dog");
        assertThat(items).extracting(TranscriptItem::status).containsExactly(ItemStatus.SUPERSEDED,
                ItemStatus.SUPERSEDED, ItemStatus.ACCEPTED, ItemStatus.COMPLETED);
        assertThat(run.out()).isEqualTo(items.get(3).content() + System.lineSeparator());
    }

    @ParameterizedTest
    @ValueSource(strings = {"regenerate", "edit"})
    void regenerate_or_edit_with_nothing_to_act_on_is_rejected_with_exit_2(String command) throws Exception {
        String[] args = command.equals("edit") ? new String[] {command, "new words", "--json"}
                : new String[] {command, "--json"};

        Cli.Run run = Cli.run(launcher, args);

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        JsonNode json = JSON.readTree(run.out());
        assertThat(json.get("state").asText()).isEqualTo("rejected");
        assertThat(json.at("/diagnostics/0/code").asText()).isEqualTo("nothing_to_" + command);
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.errLines()[0]).endsWith("(nothing_to_" + command + ")");
        assertThat(run.errLines()[1]).startsWith("hint: send a message first");
        assertThat(launcher.companion().transcript(TranscriptQuery.newest()).totalItems()).isZero();
    }

    // --- transcript ------------------------------------------------------------------------------

    @Test
    void transcript_pages_with_start_and_limit() throws Exception {
        for (String message : List.of("one", "two", "three")) {
            assertThat(Cli.run(launcher, "send", message).exitCode()).isZero();
        }

        Cli.Run json = Cli.run(launcher, "transcript", "--start", "2", "--limit", "2", "--json");
        Cli.Run text = Cli.run(launcher, "transcript", "--start", "2", "--limit", "2");

        JsonNode page = JSON.readTree(json.out());
        assertThat(page.get("start").asLong()).isEqualTo(2);
        assertThat(page.get("limit").asInt()).isEqualTo(2);
        assertThat(page.get("total_items").asLong()).isEqualTo(6);
        assertThat(page.get("next_start").asLong()).isEqualTo(4);
        assertThat(page.get("previous_start").asLong()).isZero();
        assertThat(page.get("items")).hasSize(2);
        assertThat(page.get("items").get(0).get("sequence").asLong()).isEqualTo(2);
        assertThat(page.get("items").get(0).get("content").asText()).isEqualTo("two");
        assertThat(text.out()).contains("[2] user").contains("    two").contains("[3] assistant")
                .doesNotContain("[4]").contains("items 2–3 of 6")
                .contains("older: companion transcript --start 0 --limit 2")
                .contains("newer: companion transcript --start 4 --limit 2");
    }

    @Test
    void transcript_shows_the_newest_page_by_default() {
        Cli.run(launcher, "send", "one");
        Cli.run(launcher, "send", "two");

        Cli.Run run = Cli.run(launcher, "transcript", "--limit", "1");

        assertThat(run.out()).contains("[3] assistant").doesNotContain("[2]");
    }

    @Test
    void a_limit_above_the_maximum_is_lowered_with_a_note_on_stderr() throws Exception {
        Cli.run(launcher, "send", "one");

        Cli.Run run = Cli.run(launcher, "transcript", "--limit", "500", "--json");

        assertThat(run.exitCode()).isZero();
        assertThat(JSON.readTree(run.out()).get("limit").asInt()).isEqualTo(TranscriptQuery.MAX_LIMIT);
        assertThat(JSON.readTree(run.out()).get("diagnostics").get(0).get("code").asText()).isEqualTo("limit_clamped");
        assertThat(Cli.run(launcher, "transcript", "--limit", "500").err()).contains("(limit_clamped)");
    }

    @Test
    void an_empty_transcript_says_so() {
        assertThat(Cli.run(launcher, "transcript").out()).contains("the transcript is empty");
    }

    @ParameterizedTest
    @ValueSource(strings = {"--start=-1", "--limit=-1", "--limit=many"})
    void bad_paging_numbers_are_usage_errors(String option) {
        Cli.Run run = Cli.run(launcher, "transcript", option);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).hasSize(2);
    }

    // --- chat, completion ------------------------------------------------------------------------

    @Test
    void chat_holds_a_conversation_with_slash_commands() {
        Cli.Run run = Cli.runWithInput(launcher, "hello\\\nworld\n/status\n/history 1\n/nonsense\n/exit\n", "chat");

        assertThat(run.exitCode()).isZero();
        List<TranscriptItem> items = launcher.companion().transcript(TranscriptQuery.newest()).items();
        assertThat(items.get(0).content()).isEqualTo("hello\nworld");
        assertThat(run.out()).contains(items.get(1).content()).contains("state:       ready").contains("[1] assistant");
        assertThat(run.err()).contains("unknown command /nonsense");
    }

    @Test
    void chat_leaves_at_end_of_input() {
        assertThat(Cli.runWithInput(launcher, "", "chat").exitCode()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bash", "zsh"})
    void completion_prints_a_script(String shell) {
        Cli.Run run = Cli.run(launcher, "completion", shell);

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("complete -F").contains("serve").contains("transcript").contains("bashcompinit");
    }

    @Test
    void completion_for_an_unknown_shell_is_a_usage_error() {
        assertThat(Cli.run(launcher, "completion", "fish").exitCode()).isEqualTo(2);
    }

    private static String[] args(String command, String option) {
        return (command.isEmpty() ? option : command + " " + option).split(" ");
    }
}
