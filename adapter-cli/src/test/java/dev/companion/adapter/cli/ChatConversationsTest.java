package dev.companion.adapter.cli;

import dev.companion.core.CreateConversationCommand;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptQuery;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** chat's conversation commands: /new, /list, /switch, /rename, /regenerate, /edit; and chat --conversation. */
class ChatConversationsTest {

    private final RuntimeLauncher launcher = RuntimeLauncher.offline();

    @AfterEach
    void close() {
        launcher.close();
    }

    private List<TranscriptItem> items(String id) {
        return launcher.runtime.conversations().open(new ConversationId(id)).transcript(TranscriptQuery.newest())
                .items();
    }

    private List<String> messages(String id) {
        return items(id).stream().filter(item -> item.role() == dev.companion.core.model.Role.USER)
                .map(TranscriptItem::content).toList();
    }

    private List<Conversation> conversations() {
        return launcher.runtime.conversations().list(dev.companion.core.ConversationQuery.newest()).conversations();
    }

    @Test
    void new_starts_a_conversation_and_the_prompt_talks_there() {
        Cli.Run run = Cli.runWithInput(launcher, "in the default\n/new Trip to Lisbon\nwhere to eat?\n/exit\n", "chat");

        assertThat(run.exitCode()).isZero();
        Conversation trip = conversations().get(0);
        assertThat(trip.title()).contains("Trip to Lisbon");
        assertThat(messages(trip.id().value())).containsExactly("where to eat?");
        assertThat(messages("default")).containsExactly("in the default");
        assertThat(run.out()).contains("now in Trip to Lisbon (" + trip.id() + ")");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void list_numbers_the_conversations_and_switch_goes_by_number_or_id() {
        Conversation cats = launcher.runtime.conversations().create(CreateConversationCommand.titled("Cats"));
        Conversation trip = launcher.runtime.conversations().create(CreateConversationCommand.titled("Trip"));

        Cli.Run run = Cli.runWithInput(launcher, String.join("\n", "/list", "/switch 2", "a name for a cat?",
                "/switch " + trip.id(), "where to eat?", "/switch default", "/exit", ""), "chat");

        assertThat(run.exitCode()).isZero();
        List<String> table = run.out().lines().filter(line -> line.matches("\\s*\\d+\\*?\\s+.*")).toList();
        assertThat(table).hasSize(3);
        assertThat(table.get(0)).containsPattern("^\\s*1\\s+" + trip.id()).contains("Trip");
        assertThat(table.get(1)).containsPattern("^\\s*2\\s+" + cats.id()).contains("Cats");
        assertThat(table.get(2)).containsPattern("^\\s*3\\*\\s+default").contains("(untitled)");
        assertThat(messages(cats.id().value())).containsExactly("a name for a cat?");
        assertThat(messages(trip.id().value())).containsExactly("where to eat?");
        assertThat(messages("default")).isEmpty();
        assertThat(run.out()).contains("now in Cats (" + cats.id() + ")").contains("now in (untitled) (default)");
    }

    @Test
    void switch_to_a_number_off_the_list_or_an_unknown_id_says_so_and_stays() {
        Cli.Run run = Cli.runWithInput(launcher, "/switch 7\n/switch c-nowhere\n/switch bad/id\n/switch\nstill here\n/exit\n",
                "chat");

        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).contains("there is no number 7 in the list; hint: /list shows them")
                .contains("(conversation_not_found)").contains("hint: 'companion conversations' lists them")
                .contains("(invalid_parameter)").contains("/switch needs a number from /list or a conversation id");
        assertThat(messages("default")).containsExactly("still here");
    }

    @Test
    void rename_titles_the_conversation_in_use() {
        Cli.Run run = Cli.runWithInput(launcher, "/rename Everyday things\n/rename\n/exit\n", "chat");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("renamed: Everyday things");
        assertThat(run.err()).contains("/rename needs the new title");
        assertThat(launcher.runtime.conversations().get(ConversationId.DEFAULT).flatMap(Conversation::title))
                .contains("Everyday things");
    }

    @Test
    void regenerate_and_edit_rewrite_the_last_turn() {
        Cli.Run run = Cli.runWithInput(launcher, "/regenerate\nfirst words\n/regenerate\n/edit other words\n/edit\n/exit\n",
                "chat");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("[rejected]");
        assertThat(run.err()).contains("(nothing_to_regenerate)").contains("/edit needs the new words here");
        assertThat(items("default")).extracting(TranscriptItem::content)
                .startsWith("first words").contains("other words");
        assertThat(items("default")).extracting(TranscriptItem::status).containsExactly(ItemStatus.SUPERSEDED,
                ItemStatus.SUPERSEDED, ItemStatus.SUPERSEDED, ItemStatus.ACCEPTED, ItemStatus.COMPLETED);
    }

    @Test
    void chat_conversation_starts_in_the_one_given() {
        Conversation trip = launcher.runtime.conversations().create(CreateConversationCommand.titled("Trip"));

        Cli.Run run = Cli.runWithInput(launcher, "where to eat?\n/status\n", "chat", "--conversation", trip.id().value());

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("conversation: Trip (" + trip.id() + ")")
                .contains("conversation: " + trip.id());
        assertThat(messages(trip.id().value())).containsExactly("where to eat?");
        assertThat(messages("default")).isEmpty();
    }

    @Test
    void help_lists_every_slash_command() {
        Cli.Run run = Cli.runWithInput(launcher, "/help\n", "chat");

        List<String> lines = run.out().lines().map(line -> line.replace("you> ", "")).toList();
        for (String command : ChatCommand.SLASH_COMMANDS) {
            assertThat(lines).anySatisfy(line -> assertThat(line).startsWith(command + " "));
        }
    }
}
