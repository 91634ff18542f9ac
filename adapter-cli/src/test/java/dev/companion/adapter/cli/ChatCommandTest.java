package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code companion chat} as a person uses it: typing, Ctrl-C, Ctrl-D, slash commands. */
class ChatCommandTest {

    private final GatedModel gated = new GatedModel();
    private final RuntimeLauncher launcher = new RuntimeLauncher(gated, Duration.ofMinutes(1));

    @AfterEach
    void close() {
        gated.gate.countDown();
        launcher.close();
    }

    private List<TranscriptItem> transcript() {
        return launcher.companion().transcript(TranscriptQuery.newest()).items();
    }

    @Test
    void ctrl_c_during_a_reply_cancels_the_turn_and_brings_the_prompt_back() throws Exception {
        try (LiveChat chat = new LiveChat(launcher)) {
            chat.out.await("you> ");
            chat.type("tell me a long story");
            assertThat(gated.started.await(10, TimeUnit.SECONDS)).isTrue();

            chat.pressCtrlC();

            int cancelled = chat.out.await("[cancelled]");
            chat.out.await("you> ", cancelled);
            chat.err.await("(cancelled)");
            assertThat(transcript()).last().satisfies(reply -> {
                assertThat(reply.role()).isEqualTo(Role.ASSISTANT);
                assertThat(reply.status()).isEqualTo(ItemStatus.CANCELLED);
            });
            assertThat(launcher.companion().status().state()).isEqualTo(CompanionState.READY);

            chat.type("/exit");
            assertThat(chat.awaitExit()).isEqualTo(ExitCodes.OK);
            assertThat(chat.keyboard.listener).as("Ctrl-C is given back when chat ends").isNull();
        }
    }

    @Test
    void ctrl_c_before_the_turn_is_known_still_cancels_it() throws Exception {
        // The model may start before the command hears back that its message was accepted.
        try (LiveChat chat = new LiveChat(launcher)) {
            chat.out.await("you> ");
            chat.type("hello");
            chat.out.await("companion> ");
            chat.pressCtrlC();

            chat.out.await("[cancelled]");
            assertThat(transcript()).last().extracting(TranscriptItem::status).isEqualTo(ItemStatus.CANCELLED);
            chat.pressCtrlD();
            assertThat(chat.awaitExit()).isEqualTo(ExitCodes.OK);
        }
    }

    @Test
    void a_second_ctrl_c_right_after_the_cancel_leaves() throws Exception {
        try (LiveChat chat = new LiveChat(launcher)) {
            chat.out.await("you> ");
            chat.type("hello");
            assertThat(gated.started.await(10, TimeUnit.SECONDS)).isTrue();

            chat.pressCtrlC();
            chat.pressCtrlC();

            assertThat(chat.awaitExit()).isEqualTo(ExitCodes.OK);
            assertThat(chat.keyboard.listener).isNull();
        }
    }

    @Test
    void ctrl_c_twice_at_the_prompt_leaves() throws Exception {
        try (LiveChat chat = new LiveChat(launcher)) {
            chat.out.await("you> ");

            chat.pressCtrlC();
            chat.out.await("(Ctrl-C again, Ctrl-D or /exit to leave)");
            assertThat(chat.exit).isNotDone();
            chat.pressCtrlC();

            assertThat(chat.awaitExit()).isEqualTo(ExitCodes.OK);
            assertThat(transcript()).isEmpty();
        }
    }

    @Test
    void ctrl_c_at_the_prompt_drops_the_unfinished_message() throws Exception {
        gated.gate.countDown();
        try (LiveChat chat = new LiveChat(launcher)) {
            chat.out.await("you> ");
            chat.type("a first line that goes on \\");
            chat.out.await("...> ");

            chat.pressCtrlC();
            int dropped = chat.out.await("(Ctrl-C again, Ctrl-D or /exit to leave)");
            chat.out.await("you> ", dropped);
            chat.type("second thoughts");
            chat.out.await("late reply");
            chat.type("/exit");

            assertThat(chat.awaitExit()).isEqualTo(ExitCodes.OK);
            assertThat(transcript()).first().extracting(TranscriptItem::content).isEqualTo("second thoughts");
        }
    }

    @Test
    void ctrl_d_leaves() throws Exception {
        try (LiveChat chat = new LiveChat(launcher)) {
            chat.out.await("you> ");
            chat.pressCtrlD();
            assertThat(chat.awaitExit()).isEqualTo(ExitCodes.OK);
        }
    }

    @Test
    void a_message_over_several_lines_is_sent_as_one() throws Exception {
        gated.gate.countDown();
        try (LiveChat chat = new LiveChat(launcher)) {
            int greeting = chat.out.await("end a line with \\ to go on");
            chat.out.await("you> ", greeting);
            chat.type("Dear Companion,\\");
            int next = chat.out.await("...> ");
            chat.type("  two lines \\");
            chat.out.await("...> ", next);
            chat.type("and a third.");
            chat.out.await("late reply");
            chat.type("/help");
            chat.out.await("/exit");
            chat.type("/exit");

            assertThat(chat.awaitExit()).isZero();
            assertThat(transcript()).first().extracting(TranscriptItem::content)
                    .isEqualTo("Dear Companion,\n  two lines \nand a third.");
            assertThat(chat.out.text()).contains("a line ending with \\ goes on on the next line");
        }
    }

    @Test
    void the_reply_shows_as_it_streams_not_when_it_ends() throws Exception {
        CountDownLatch rest = new CountDownLatch(1);
        LanguageModel halfway = new LanguageModel() {
            @Override
            public ProviderInfo provider() {
                return new ProviderInfo("halfway", "halfway-1", true, Optional.empty(), Optional.empty());
            }

            @Override
            public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
                sink.accept("first words ");
                try {
                    rest.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                sink.accept("and the rest");
                return ModelResult.finished("end_turn");
            }
        };
        try (RuntimeLauncher streaming = new RuntimeLauncher(halfway, Duration.ofMinutes(1));
             LiveChat chat = new LiveChat(streaming)) {
            chat.out.await("you> ");
            chat.type("hello");

            chat.out.await("companion> first words ");
            assertThat(chat.out.text()).doesNotContain("and the rest");
            rest.countDown();
            int reply = chat.out.await("first words and the rest");
            chat.out.await("you> ", reply);
            chat.pressCtrlD();
            assertThat(chat.awaitExit()).isZero();
        }
    }

    @Test
    void slash_cancel_stops_a_turn_started_elsewhere_and_a_message_meanwhile_is_busy() throws Exception {
        SendResult elsewhere = launcher.companion().send(new SendMessageCommand("from the console", "web"));
        assertThat(elsewhere).isInstanceOf(SendResult.Accepted.class);
        assertThat(gated.started.await(10, TimeUnit.SECONDS)).isTrue();

        Cli.Run run = Cli.runWithInput(launcher, "hello\n/cancel\n/status\n/exit\n", "chat");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("[busy]").contains("[cancelled]").contains("state:       ready");
        assertThat(run.err()).contains("(companion_busy)");
        assertThat(transcript()).extracting(TranscriptItem::content).doesNotContain("hello");
        assertThat(transcript()).last().extracting(TranscriptItem::status).isEqualTo(ItemStatus.CANCELLED);
    }

    @Test
    void history_shows_the_last_items_and_refuses_a_non_number() {
        gated.gate.countDown();

        Cli.Run run = Cli.runWithInput(launcher, "one\ntwo\n/history 2\n/history many\n/exit\n", "chat");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("[2] user").contains("[3] assistant").doesNotContain("[1] assistant");
        assertThat(run.err()).contains("/history takes a number");
    }

    @Test
    void a_held_data_directory_names_the_server_that_holds_it_for_url() {
        launcher.failure = () -> new CompanionCommandLine.DataDirectoryHeldException(Diagnostic.error(
                DiagnosticCode.DATA_DIRECTORY_LOCKED, "Another Companion is using this data directory."),
                Optional.of(URI.create("http://127.0.0.1:9123/")));

        Cli.Run run = Cli.runWithInput(launcher, "hello\n", "chat");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.DATA_DIRECTORY_LOCKED);
        assertThat(run.errLines()).containsExactly(
                "error: Another Companion is using this data directory. (data_directory_locked)",
                "hint: the Companion server at http://127.0.0.1:9123 holds this data directory; chat with it: "
                        + "'companion chat --url http://127.0.0.1:9123', or choose another with --data-dir or --ephemeral");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void a_held_data_directory_with_no_known_holder_guesses_no_address() {
        launcher.failure = () -> new CompanionException(CompanionState.ERROR, Diagnostic.error(
                DiagnosticCode.DATA_DIRECTORY_LOCKED, "Another Companion is using this data directory."));

        Cli.Run run = Cli.runWithInput(launcher, "hello\n", "chat");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.DATA_DIRECTORY_LOCKED);
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.errLines()[1]).contains("--url and the address it printed at start-up").doesNotContain("http");
    }

    @Test
    void piped_chat_in_colourless_words() {
        gated.gate.countDown();

        Cli.Run run = Cli.runWithInput(launcher, "hello\n", "chat");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).doesNotContain("\u001b[").contains("ready").contains("late reply");
    }
}
