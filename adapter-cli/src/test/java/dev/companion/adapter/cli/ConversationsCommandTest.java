package dev.companion.adapter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.core.CreateConversationCommand;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptQuery;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code companion conversations} and its subcommands, and {@code --conversation} / {@code --new} on the others. */
class ConversationsCommandTest {

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

    private String create(String... title) {
        Cli.Run run = title.length == 0 ? Cli.run(launcher, "conversations", "new")
                : Cli.run(launcher, "conversations", "new", "--title", title[0]);
        assertThat(run.exitCode()).isZero();
        return run.out().strip();
    }

    private List<String> contents(String id) {
        return launcher.runtime.conversations().open(new ConversationId(id)).transcript(TranscriptQuery.newest())
                .items().stream().map(TranscriptItem::content).toList();
    }

    // --- list --------------------------------------------------------------------------------------

    @Test
    void the_list_is_a_table_newest_first_with_untitled_ones_said_so() {
        String trip = create("Trip to Lisbon");
        assertThat(Cli.run(launcher, "send", "--conversation", trip, "where to eat?").exitCode()).isZero();
        String empty = create();

        Cli.Run run = Cli.run(launcher, "conversations");

        assertThat(run.exitCode()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(0)).containsSubsequence("ID", "TITLE", "ITEMS", "UPDATED");
        assertThat(lines).hasSize(4);
        // The empty one was made last; the trip's newest item is older than that.
        assertThat(lines.get(1)).startsWith(empty).contains("(untitled)").containsPattern(" 0  \\d{4}-\\d\\d-\\d\\dT");
        assertThat(lines.get(2)).startsWith(trip).contains("Trip to Lisbon").contains(" 2  ");
        assertThat(lines.get(3)).startsWith("default").contains("(untitled)");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void the_list_as_json_has_the_api_shape() throws Exception {
        String trip = create("Trip to Lisbon");
        Cli.run(launcher, "send", "--conversation", trip, "where to eat?");

        Cli.Run run = Cli.run(launcher, "conversations", "--json");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out().strip().lines()).hasSize(1);
        JsonNode json = JSON.readTree(run.out());
        assertThat(json.get("state").asText()).isEqualTo("ready");
        assertThat(json.get("next_cursor").isNull()).isTrue();
        assertThat(json.get("diagnostics").isArray()).isTrue();
        JsonNode first = json.get("conversations").get(0);
        assertThat(first.get("id").asText()).isEqualTo(trip);
        assertThat(first.get("title").asText()).isEqualTo("Trip to Lisbon");
        assertThat(first.get("item_count").asLong()).isEqualTo(2);
        assertThat(first.get("state").asText()).isEqualTo("ready");
        assertThat(first.get("created_at").asText()).endsWith("Z");
        assertThat(first.get("updated_at").asText()).endsWith("Z");
        assertThat(first.get("preview").asText()).isNotBlank();
        JsonNode fallback = json.get("conversations").get(1);
        assertThat(fallback.get("id").asText()).isEqualTo("default");
        assertThat(fallback.get("title").isNull()).isTrue();
        assertThat(fallback.get("preview").isNull()).isTrue();
    }

    @Test
    void search_and_limit_narrow_the_list_and_the_next_page_is_one_cursor_away() throws Exception {
        create("Trip to Lisbon");
        create("Cat names");
        create("Lisbon restaurants");

        Cli.Run search = Cli.run(launcher, "conversations", "--search", "lisbon", "--json");
        Cli.Run limited = Cli.run(launcher, "conversations", "--limit", "2");
        Cli.Run none = Cli.run(launcher, "conversations", "--search", "nowhere");

        assertThat(JSON.readTree(search.out()).get("conversations")).extracting(node -> node.get("title").asText())
                .containsExactlyInAnyOrder("Trip to Lisbon", "Lisbon restaurants");
        assertThat(limited.out().lines().filter(line -> line.contains("Lisbon") || line.contains("Cat"))).hasSize(2);
        String cursor = JSON.readTree(Cli.run(launcher, "conversations", "--limit", "2", "--json").out())
                .get("next_cursor").asText();
        assertThat(limited.out()).contains("more: companion conversations --cursor " + cursor + " --limit 2");
        JsonNode rest = JSON.readTree(Cli.run(launcher, "conversations", "--limit", "2", "--cursor", cursor, "--json").out());
        assertThat(rest.get("conversations")).hasSize(2);
        assertThat(rest.get("next_cursor").isNull()).isTrue();
        assertThat(none.exitCode()).isZero();
        assertThat(none.out()).contains("no conversation matches 'nowhere'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"--limit=0", "--limit=201", "--limit=many", "--cursor=not-a-cursor"})
    void bad_list_options_are_usage_errors(String option) {
        Cli.Run run = Cli.run(launcher, "conversations", option);

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.errLines()).hasSize(2);
    }

    // --- new, rename, delete -----------------------------------------------------------------------

    @Test
    void new_prints_the_id_alone_and_json_prints_the_conversation() throws Exception {
        Cli.Run plain = Cli.run(launcher, "conversations", "new");
        Cli.Run titled = Cli.run(launcher, "conversations", "new", "--title", "  Trip to Lisbon ", "--json");

        assertThat(plain.exitCode()).isZero();
        assertThat(plain.out()).matches("c-[0-9a-f-]+\\R");
        assertThat(launcher.runtime.conversations().get(new ConversationId(plain.out().strip()))).isPresent();
        JsonNode json = JSON.readTree(titled.out());
        assertThat(json.get("state").asText()).isEqualTo("ready");
        assertThat(json.at("/conversation/title").asText()).isEqualTo("Trip to Lisbon");
        assertThat(json.at("/conversation/item_count").asLong()).isZero();
        assertThat(json.get("diagnostics")).isEmpty();
    }

    @Test
    void a_blank_title_is_rejected_and_creates_nothing() {
        Cli.Run run = Cli.run(launcher, "conversations", "new", "--title", " ");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.errLines()[0]).endsWith("(invalid_parameter)");
        assertThat(launcher.opened).isEmpty();
    }

    @Test
    void rename_joins_the_words_of_the_title() throws Exception {
        String id = create();

        Cli.Run run = Cli.run(launcher, "conversations", "rename", id, "Lisbon", "in", "May");
        Cli.Run json = Cli.run(launcher, "conversations", "rename", id, "Porto", "--json");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo("renamed " + id + ": Lisbon in May" + System.lineSeparator());
        assertThat(JSON.readTree(json.out()).at("/conversation/title").asText()).isEqualTo("Porto");
        assertThat(launcher.runtime.conversations().get(new ConversationId(id)).flatMap(Conversation::title))
                .contains("Porto");
    }

    @Test
    void delete_removes_the_conversation_and_its_transcript() throws Exception {
        String id = create();
        Cli.run(launcher, "send", "--conversation", id, "hello");

        Cli.Run run = Cli.run(launcher, "conversations", "delete", id);
        Cli.Run again = Cli.run(launcher, "conversations", "delete", id, "--json");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo("deleted " + id + System.lineSeparator());
        assertThat(launcher.runtime.conversations().get(new ConversationId(id))).isEmpty();
        assertThat(again.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(JSON.readTree(again.out()).at("/diagnostics/0/code").asText()).isEqualTo("conversation_not_found");
    }

    @Test
    void deleting_a_conversation_while_its_reply_runs_is_busy_with_exit_3() throws Exception {
        GatedModel gated = new GatedModel();
        use(new RuntimeLauncher(gated, Duration.ofMinutes(1)));
        String id = create();
        SendResult sent = launcher.runtime.conversations().open(new ConversationId(id))
                .send(SendMessageCommand.of("a long story"));
        assertThat(sent).isInstanceOf(SendResult.Accepted.class);
        assertThat(gated.started.await(10, TimeUnit.SECONDS)).isTrue();
        String turn = ((SendResult.Accepted) sent).turn().id().value();

        Cli.Run run = Cli.run(launcher, "conversations", "delete", id);
        Cli.Run json = Cli.run(launcher, "conversations", "delete", id, "--json");
        gated.gate.countDown();

        assertThat(run.exitCode()).isEqualTo(ExitCodes.BUSY).isEqualTo(3);
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.errLines()[0]).endsWith("(companion_busy)");
        assertThat(run.errLines()[1]).contains("cancel");
        JsonNode busy = JSON.readTree(json.out());
        assertThat(busy.get("state").asText()).isEqualTo("busy");
        assertThat(busy.get("running_turn_id").asText()).isEqualTo(turn);
        assertThat(launcher.runtime.conversations().get(new ConversationId(id))).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"rename", "delete"})
    void an_unknown_id_is_one_line_with_the_code_and_a_hint_and_exit_2(String command) {
        String[] args = command.equals("rename") ? new String[] {"conversations", command, "c-nowhere", "Title"}
                : new String[] {"conversations", command, "c-nowhere"};

        Cli.Run run = Cli.run(launcher, args);

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.errLines()[0]).startsWith("error: ").endsWith("(conversation_not_found)");
        assertThat(run.errLines()[1]).isEqualTo("hint: 'companion conversations' lists them");
    }

    @Test
    void a_malformed_id_is_rejected_before_anything_opens() {
        Cli.Run run = Cli.run(launcher, "conversations", "delete", "../etc");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.errLines()[0]).endsWith("(invalid_parameter)");
        assertThat(launcher.opened).isEmpty();
    }

    @Test
    void options_given_before_a_subcommand_are_refused_rather_than_lost() {
        Cli.Run run = Cli.run(launcher, "conversations", "--json", "new");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("put the options after 'new'");
        assertThat(launcher.opened).isEmpty();
    }

    // --- --conversation and --new on the other commands --------------------------------------------

    @Test
    void two_conversations_keep_their_own_items() throws Exception {
        String trip = create("Trip");
        String cats = create("Cats");

        assertThat(Cli.run(launcher, "send", "--conversation", trip, "where to eat?").exitCode()).isZero();
        assertThat(Cli.run(launcher, "send", "--conversation", cats, "a name for a cat?").exitCode()).isZero();
        assertThat(Cli.run(launcher, "send", "for the default").exitCode()).isZero();

        assertThat(contents(trip)).hasSize(2).first().isEqualTo("where to eat?");
        assertThat(contents(cats)).hasSize(2).first().isEqualTo("a name for a cat?");
        assertThat(contents("default")).hasSize(2).first().isEqualTo("for the default");
        JsonNode page = JSON.readTree(Cli.run(launcher, "transcript", "--conversation", cats, "--json").out());
        assertThat(page.at("/items/0/content").asText()).isEqualTo("a name for a cat?");
        assertThat(page.get("total_items").asLong()).isEqualTo(2);
        assertThat(Cli.run(launcher, "transcript", "--conversation", trip, "--export", "markdown").out())
                .contains("where to eat?").doesNotContain("a name for a cat?");
        JsonNode status = JSON.readTree(Cli.run(launcher, "status", "--conversation", cats, "--json").out());
        assertThat(status.get("conversation_id").asText()).isEqualTo(cats);
        assertThat(Cli.run(launcher, "status", "--conversation", cats).out()).contains("conversation: " + cats);
    }

    @Test
    void send_new_starts_a_conversation_and_says_which() throws Exception {
        Cli.Run json = Cli.run(launcher, "send", "--new", "Plan a trip to Lisbon", "--json");
        Cli.Run text = Cli.run(launcher, "send", "--new", "Name my cat");

        assertThat(json.exitCode()).isZero();
        String id = JSON.readTree(json.out()).get("conversation_id").asText();
        assertThat(id).startsWith("c-");
        assertThat(contents(id)).first().isEqualTo("Plan a trip to Lisbon");
        assertThat(launcher.runtime.conversations().get(new ConversationId(id)).flatMap(Conversation::title))
                .contains("Plan a trip to Lisbon");
        assertThat(text.exitCode()).isZero();
        assertThat(text.errLines()).hasSize(1);
        String other = text.errLines()[0].split(" ")[1];
        assertThat(text.errLines()[0]).isEqualTo("conversation " + other + " (go on with --conversation " + other + ")");
        assertThat(contents(other)).first().isEqualTo("Name my cat");
        assertThat(text.out()).doesNotContain(other);
        assertThat(contents("default")).isEmpty();
    }

    @Test
    void send_new_with_conversation_is_a_usage_error() {
        Cli.Run run = Cli.run(launcher, "send", "--new", "--conversation", "default", "hi");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).contains("not both");
        assertThat(launcher.opened).isEmpty();
    }

    @Test
    void send_new_with_a_rejected_message_makes_no_conversation() {
        Cli.Run run = Cli.runWithInput(launcher, " \n", "send", "--new");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(launcher.runtime.conversations().list(dev.companion.core.ConversationQuery.newest()).conversations())
                .extracting(conversation -> conversation.id().value()).containsExactly("default");
    }

    @ParameterizedTest
    @ValueSource(strings = {"send", "status", "transcript", "chat", "regenerate", "edit"})
    void an_unknown_conversation_is_one_line_with_a_hint_and_exit_2(String command) {
        String[] args = command.equals("send") || command.equals("edit")
                ? new String[] {command, "--conversation", "c-nowhere", "hello"}
                : new String[] {command, "--conversation", "c-nowhere"};

        Cli.Run run = Cli.runWithInput(launcher, "hello\n", args);

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.errLines()).containsExactly(
                "error: There is no conversation with that id; it may have been deleted. (conversation_not_found)",
                "hint: 'companion conversations' lists them");
    }

    @ParameterizedTest
    @ValueSource(strings = {"send", "status", "transcript", "chat"})
    void a_malformed_conversation_id_is_exit_2_and_opens_nothing(String command) {
        Cli.Run run = Cli.runWithInput(launcher, "hello\n", command, "--conversation", "no spaces/allowed");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.errLines()[0]).endsWith("(invalid_parameter)");
        assertThat(launcher.opened).isEmpty();
    }

    @Test
    void without_conversation_every_command_talks_to_the_default_one_as_before() {
        assertThat(Cli.run(launcher, "send", "hello").exitCode()).isZero();
        launcher.runtime.conversations().create(CreateConversationCommand.titled("Other"));

        assertThat(Cli.run(launcher, "transcript").out()).contains("    hello");
        assertThat(contents("default")).first().isEqualTo("hello");
    }
}
