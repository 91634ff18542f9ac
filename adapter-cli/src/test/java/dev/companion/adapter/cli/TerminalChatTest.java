package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static dev.companion.adapter.cli.TerminalChat.CTRL_A;
import static dev.companion.adapter.cli.TerminalChat.CTRL_C;
import static dev.companion.adapter.cli.TerminalChat.CTRL_D;
import static dev.companion.adapter.cli.TerminalChat.CTRL_E;
import static dev.companion.adapter.cli.TerminalChat.CTRL_R;
import static dev.companion.adapter.cli.TerminalChat.ENTER;
import static dev.companion.adapter.cli.TerminalChat.TAB;
import static dev.companion.adapter.cli.TerminalChat.UP;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code companion chat} in a terminal: line editing, history kept across chats, completion, wrapping, Ctrl-C. */
class TerminalChatTest {

    @TempDir
    Path directory;

    private RuntimeLauncher launcher = RuntimeLauncher.offline();

    @AfterEach
    void close() {
        launcher.close();
    }

    private List<String> messages() {
        return launcher.companion().transcript(TranscriptQuery.newest()).items().stream()
                .filter(item -> item.role() == dev.companion.core.model.Role.USER)
                .map(TranscriptItem::content).toList();
    }

    /** Types a line and waits until its reply has ended and the prompt is back. */
    private static void say(TerminalChat chat, String keys) throws InterruptedException {
        int from = chat.screen.text().length();
        chat.press(keys + ENTER);
        int reply = chat.screen.await("companion> ", from);
        chat.screen.await("you> ", reply);
    }

    @Test
    void history_is_recalled_in_the_next_chat_with_the_same_history_file() throws Exception {
        launcher.historyFile = directory.resolve("chat-history");
        try (TerminalChat first = new TerminalChat(launcher, 80)) {
            first.screen.await("you> ");
            say(first, "the first message");
            first.press(CTRL_D);
            assertThat(first.awaitExit()).isZero();
        }

        try (TerminalChat second = new TerminalChat(launcher, 80)) {
            second.screen.await("you> ");
            say(second, UP);
            second.press(CTRL_D);
            assertThat(second.awaitExit()).isZero();
        }

        assertThat(messages()).containsExactly("the first message", "the first message");
        // A line the same as the one before is kept once, as the shells do.
        assertThat(Files.readAllLines(launcher.historyFile)).containsExactly("the first message");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(launcher.historyFile)))
                .isEqualTo("rw-------");
    }

    @Test
    void ctrl_r_searches_the_history_and_ctrl_a_and_ctrl_e_move_in_the_line() throws Exception {
        launcher.historyFile = directory.resolve("chat-history");
        Files.write(launcher.historyFile, List.of("what is a good name for a cat?", "tell me a joke"));
        try (TerminalChat chat = new TerminalChat(launcher, 80)) {
            chat.screen.await("you> ");
            say(chat, CTRL_R + "cat" + ENTER);
            say(chat, "world" + CTRL_A + "hello " + CTRL_E + "!");
            chat.press(CTRL_D);
            assertThat(chat.awaitExit()).isZero();
        }

        assertThat(messages()).containsExactly("what is a good name for a cat?", "hello world!");
    }

    @Test
    void ephemeral_keeps_no_history_file_even_when_one_is_offered() throws Exception {
        launcher.historyFile = directory.resolve("chat-history");
        try (TerminalChat chat = new TerminalChat(launcher, 80, "--ephemeral")) {
            chat.screen.await("you> ");
            say(chat, "not to be kept");
            chat.press(CTRL_D);
            assertThat(chat.awaitExit()).isZero();
        }

        assertThat(messages()).containsExactly("not to be kept");
        assertThat(launcher.historyFile).doesNotExist();
    }

    @Test
    void a_history_file_that_cannot_be_written_costs_the_history_not_the_chat_and_names_no_path() throws Exception {
        Path blocked = directory.resolve("not-a-directory");
        Files.writeString(blocked, "a file where a directory should be");
        launcher.historyFile = blocked.resolve("chat-history");
        try (TerminalChat chat = new TerminalChat(launcher, 80)) {
            chat.screen.await("you> ");
            say(chat, "still answered");
            chat.press(CTRL_D);
            assertThat(chat.awaitExit()).isZero();
            assertThat(chat.err.text()).contains("note: the chat history is not kept")
                    .doesNotContain(directory.toString()).doesNotContain("chat-history");
        }
        assertThat(messages()).containsExactly("still answered");
    }

    @Test
    void a_long_reply_is_wrapped_at_the_terminal_width_between_words_as_it_streams() throws Exception {
        String reply = "The quick brown fox jumps over the lazy dog while seventeen zebras "
                + "contemplate extraordinarily long words like incomprehensibilities at dusk.";
        use(new RuntimeLauncher(new Chunked(reply, 3), Duration.ofMinutes(1)));
        try (TerminalChat chat = new TerminalChat(launcher, 30)) {
            chat.screen.await("you> ");
            chat.press("hello" + ENTER);
            int start = chat.screen.await("companion> ");
            int end = chat.screen.await("you> ", start);
            chat.press(CTRL_D);
            assertThat(chat.awaitExit()).isZero();

            String shown = "companion> " + strip(chat.screen.text().substring(start, end - "you> ".length()));
            List<String> lines = Arrays.stream(shown.split("\n")).filter(line -> !line.isBlank()).toList();
            assertThat(lines).hasSizeGreaterThan(4).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(30));
            assertThat(String.join(" ", lines)).isEqualTo("companion> " + reply);
        }
    }

    @Test
    void a_line_ending_with_a_backslash_goes_on_and_the_words_keep_their_quotes() throws Exception {
        try (TerminalChat chat = new TerminalChat(launcher, 80)) {
            chat.screen.await("you> ");
            chat.press("don't stop \\" + ENTER);
            chat.screen.await("...> ");
            say(chat, "here");
            chat.press(CTRL_D);
            assertThat(chat.awaitExit()).isZero();
        }

        assertThat(messages()).containsExactly("don't stop \nhere");
    }

    @Test
    void tab_completes_the_slash_commands() throws Exception {
        try (TerminalChat chat = new TerminalChat(launcher, 80)) {
            chat.screen.await("you> ");
            chat.press("/rege" + TAB + ENTER);
            chat.err.await("(nothing_to_regenerate)");
            chat.press(CTRL_D);
            assertThat(chat.awaitExit()).isZero();
        }
    }

    @Test
    void edit_alone_puts_the_last_message_in_the_line_to_change_it() throws Exception {
        try (TerminalChat chat = new TerminalChat(launcher, 80)) {
            chat.screen.await("you> ");
            say(chat, "a name for a cat");
            int from = chat.screen.text().length();
            chat.press("/edit" + ENTER);
            chat.screen.await("edit> ", from);
            say(chat, CTRL_E + " or a dog");
            chat.press(CTRL_D);
            assertThat(chat.awaitExit()).isZero();
        }

        List<TranscriptItem> items = launcher.companion().transcript(TranscriptQuery.newest()).items();
        assertThat(items).extracting(TranscriptItem::content).contains("a name for a cat", "a name for a cat or a dog");
        assertThat(items.get(0).status()).isEqualTo(ItemStatus.SUPERSEDED);
        assertThat(items.get(2).status()).isEqualTo(ItemStatus.ACCEPTED);
    }

    @Test
    void ctrl_c_in_the_terminal_cancels_a_reply_and_a_second_right_after_leaves() throws Exception {
        GatedModel gated = new GatedModel();
        use(new RuntimeLauncher(gated, Duration.ofMinutes(1)));
        try (TerminalChat chat = new TerminalChat(launcher, 80)) {
            chat.screen.await("you> ");
            chat.press("tell me a long story" + ENTER);
            assertThat(gated.started.await(10, TimeUnit.SECONDS)).isTrue();

            chat.press(CTRL_C);
            int cancelled = chat.screen.await("[cancelled]");
            chat.screen.await("you> ", cancelled);
            assertThat(launcher.companion().transcript(TranscriptQuery.newest()).items()).last()
                    .extracting(TranscriptItem::status).isEqualTo(ItemStatus.CANCELLED);

            chat.press("half typed" + CTRL_C);
            assertThat(chat.awaitExit()).isEqualTo(ExitCodes.OK);
        }
        assertThat(messages()).containsExactly("tell me a long story");
    }

    @Test
    void ctrl_c_at_the_prompt_drops_the_line_and_a_second_leaves() throws Exception {
        try (TerminalChat chat = new TerminalChat(launcher, 80)) {
            chat.screen.await("you> ");
            chat.press("half typed" + CTRL_C);
            int note = chat.screen.await("(Ctrl-C again, Ctrl-D or /exit to leave)");
            chat.screen.await("you> ", note);
            assertThat(chat.exit).isNotDone();

            chat.press(CTRL_C);
            assertThat(chat.awaitExit()).isEqualTo(ExitCodes.OK);
        }
        assertThat(messages()).isEmpty();
    }

    private void use(RuntimeLauncher other) {
        launcher.close();
        launcher = other;
    }

    /** The screen's text without escape sequences or carriage returns. */
    private static String strip(String text) {
        return text.replaceAll("\u001b\\[[0-9;?]*[A-Za-z]", "").replaceAll("\u001b[=>]", "").replace("\r", "");
    }

    /** A live-looking model that streams a fixed reply a few characters at a time, cutting words apart. */
    private record Chunked(String reply, int size) implements LanguageModel {
        @Override
        public ProviderInfo provider() {
            return new ProviderInfo("chunked", "chunked-1", true, Optional.empty(), Optional.empty());
        }

        @Override
        public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
            for (int i = 0; i < reply.length(); i += size) {
                sink.accept(reply.substring(i, Math.min(reply.length(), i + size)));
            }
            return ModelResult.finished("end_turn");
        }
    }
}
