package dev.companion.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.companion.adapter.cli.CompanionCommandLine;
import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderChoice;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderOptions;
import dev.companion.adapter.cli.CompanionCommandLine.RunningServer;
import dev.companion.adapter.cli.CompanionCommandLine.ServeOptions;
import dev.companion.adapter.cli.CompanionCommandLine.StorageOptions;
import dev.companion.adapter.cli.CompanionCommandLine.StoreOptions;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ReplyDetails;
import dev.companion.core.model.Role;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.ConversationCatalog;
import dev.companion.core.port.StoredConversation;
import dev.companion.prompts.ClasspathPromptCatalog;
import dev.companion.store.journal.JournalConversationCatalog;
import dev.companion.store.postgres.PostgresCluster;
import dev.companion.store.postgres.PostgresConversationCatalog;
import dev.companion.store.postgres.PostgresDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code companion store import}: a data directory's journals copied into a real PostgreSQL database,
 * everything of every item kept, and nothing copied twice however often it runs.
 */
class StoreImportTest {

    @RegisterExtension
    static final PostgresDatabase DATABASE = PostgresDatabase.empty();

    @RegisterExtension
    static final PostgresDatabase CHANGED = PostgresDatabase.empty();

    @RegisterExtension
    static final PostgresDatabase SERVED = PostgresDatabase.empty();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2025-03-01T10:15:30.123456789Z");
    private static final ConversationId TRIP = new ConversationId("c-trip");
    private static final ConversationId RECIPES = new ConversationId("c-recipes");
    private static final ConversationId LATER = new ConversationId("c-later");

    @TempDir
    Path temp;

    private final ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();

    private CompanionLauncher launcher() {
        return new CompanionLauncher(prompts, new ModelSelection(Map.of(), prompts, () -> false),
                CompanionLauncher.Storage.journal(temp.resolve("default-data-dir-never-used")),
                new SharedStore(Map.of("PGPASSWORD", PostgresCluster.PASSWORD)));
    }

    private record Run(int exitCode, String out, String err) {
        String[] errLines() {
            return err.isEmpty() ? new String[0] : err.split("\\R");
        }

        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    private Run run(String... args) {
        var commandLine = CompanionCommandLine.create(launcher(), "test", new ByteArrayInputStream(new byte[0]));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int code = commandLine.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static TranscriptEntry user(String turn, String words, int second) {
        return new TranscriptEntry(Role.USER, words, T0.plusSeconds(second), "cli", ItemStatus.ACCEPTED, new TurnId(turn));
    }

    private static TranscriptEntry reply(String turn, String words, int second, ItemStatus status, ReplyDetails details) {
        return new TranscriptEntry(Role.ASSISTANT, words, T0.plusSeconds(second).plusNanos(7), "openai", status,
                new TurnId(turn), details);
    }

    private static final ReplyDetails RICH = new ReplyDetails("thinking it over", Optional.of(Duration.ofMillis(1234)),
            Optional.of(new TokenUsage(120, 45, 30)),
            List.of(Diagnostic.warning(DiagnosticCode.PROVIDER_STREAM_INTERRUPTED, "The reply was cut short.")));

    /** A data directory as a journal server leaves it: three conversations, details, a superseded reply, a NUL. */
    private Path journal() {
        Path dir = temp.resolve("data");
        try (JournalConversationCatalog catalog = JournalConversationCatalog.open(dir,
                JournalConversationCatalog.Options.defaults())) {
            catalog.create(ConversationId.DEFAULT, Optional.of("Everyday"), T0);
            catalog.transcript(ConversationId.DEFAULT).append(user("t1", "hello", 1));
            catalog.transcript(ConversationId.DEFAULT).append(reply("t1", "hi there", 2, ItemStatus.INCOMPLETE, RICH));

            catalog.create(TRIP, Optional.of("Trip"), T0.plusSeconds(10));
            var trip = catalog.transcript(TRIP);
            trip.append(user("t2", "Where in Kyoto?", 11));
            trip.append(reply("t2", "Gion.", 12, ItemStatus.COMPLETED, ReplyDetails.NONE));
            trip.append(reply("t3", "Arashiyama, or \0 Gion.", 13, ItemStatus.COMPLETED, ReplyDetails.NONE));
            trip.supersede(Set.of(1L));

            catalog.create(RECIPES, Optional.empty(), T0.plusSeconds(20));
            catalog.transcript(RECIPES).append(user("t4", "Miso soup, please", 21));
            catalog.transcript(RECIPES).append(reply("t4", "Dashi first.", 22, ItemStatus.COMPLETED, ReplyDetails.NONE));
        }
        return dir;
    }

    private static List<TranscriptItem> items(ConversationCatalog catalog, ConversationId id) {
        var transcript = catalog.transcript(id);
        return transcript.read(0, (int) transcript.size());
    }

    private static List<StoredConversation> sorted(List<StoredConversation> conversations) {
        List<StoredConversation> copy = new ArrayList<>(conversations);
        copy.sort(Comparator.comparing(conversation -> conversation.id().value()));
        return copy;
    }

    @Test
    void an_import_copies_every_conversation_whole_and_running_it_again_copies_nothing() throws Exception {
        Path data = journal();

        Run first = run("store", "import", "--from", data.toString(), "--store", DATABASE.url());
        Run second = run("store", "import", "--from", data.toString(), "--store", DATABASE.url(), "--json");

        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out().strip()).isEqualTo(
                "imported 3 conversations, extended 0, skipped 0 already there, refused 0; copied 7 items");
        assertThat(first.err()).isEmpty();
        assertThat(second.exitCode()).isZero();
        JsonNode again = second.json();
        assertThat(again.get("conversations_imported").asInt()).isZero();
        assertThat(again.get("conversations_skipped").asInt()).isEqualTo(3);
        assertThat(again.get("items_copied").asLong()).isZero();

        try (JournalConversationCatalog journal = JournalConversationCatalog.open(data,
                JournalConversationCatalog.Options.defaults());
             PostgresConversationCatalog database = PostgresConversationCatalog.open(DATABASE.settings())) {
            assertThat(sorted(database.conversations())).isEqualTo(sorted(journal.conversations()));
            for (StoredConversation conversation : journal.conversations()) {
                List<TranscriptItem> expected = items(journal, conversation.id()).stream()
                        .map(ConversationCopy::storable).toList();
                assertThat(items(database, conversation.id())).as(conversation.id().value()).isEqualTo(expected);
            }
            assertThat(items(database, TRIP).get(1).status()).isEqualTo(ItemStatus.SUPERSEDED);
            assertThat(items(database, TRIP).get(2).content()).isEqualTo("Arashiyama, or \uFFFD Gion.");
            assertThat(items(database, ConversationId.DEFAULT).get(1).details()).isEqualTo(RICH);
        }
    }

    @Test
    void what_the_journal_gained_since_is_appended_and_a_conversation_changed_in_the_database_is_refused_alone()
            throws Exception {
        Path data = journal();
        assertThat(run("store", "import", "--from", data.toString(), "--store", CHANGED.url()).exitCode()).isZero();
        try (JournalConversationCatalog journal = JournalConversationCatalog.open(data,
                JournalConversationCatalog.Options.defaults())) {
            // Going on locally after the first import: a regenerate in the trip, a new conversation.
            journal.transcript(TRIP).supersede(Set.of(2L));
            journal.transcript(TRIP).append(reply("t5", "Fushimi Inari at dawn.", 30, ItemStatus.COMPLETED,
                    ReplyDetails.NONE));
            journal.create(LATER, Optional.of("Later"), T0.plusSeconds(40));
            journal.transcript(LATER).append(user("t6", "one more", 41));
            journal.transcript(LATER).append(reply("t6", "Sure.", 42, ItemStatus.CANCELLED, ReplyDetails.NONE));
        }
        // Someone changed the recipes in the database meanwhile.
        CHANGED.execute("UPDATE items SET content = 'Ramen, please' WHERE conversation_id = 'c-recipes'");

        Run run = run("store", "import", "--from", data.toString(), "--store", CHANGED.url(), "--json");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.ERROR);
        JsonNode answer = run.json();
        assertThat(answer.get("state").asText()).isEqualTo("error");
        assertThat(answer.get("conversations_imported").asInt()).isEqualTo(1);
        assertThat(answer.get("conversations_extended").asInt()).isEqualTo(1);
        assertThat(answer.get("conversations_skipped").asInt()).isEqualTo(1);
        assertThat(answer.get("items_copied").asLong()).isEqualTo(3);
        assertThat(answer.get("items_superseded").asLong()).isEqualTo(1);
        assertThat(answer.at("/refused/0/conversation_id").asText()).isEqualTo("c-recipes");
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.errLines()[0]).isEqualTo("warning: conversation c-recipes was not imported: the database "
                + "holds another item at position 0 than the data directory; it was changed in the database");
        try (PostgresConversationCatalog database = PostgresConversationCatalog.open(CHANGED.settings())) {
            assertThat(items(database, TRIP)).extracting(TranscriptItem::status).containsExactly(ItemStatus.ACCEPTED,
                    ItemStatus.SUPERSEDED, ItemStatus.SUPERSEDED, ItemStatus.COMPLETED);
            assertThat(items(database, RECIPES)).extracting(TranscriptItem::content)
                    .containsExactly("Ramen, please", "Ramen, please");
            assertThat(items(database, LATER)).extracting(TranscriptItem::content).containsExactly("one more", "Sure.");
        }

        Run settled = run("store", "import", "--from", data.toString(), "--store", CHANGED.url(), "--json");
        assertThat(settled.json().get("items_copied").asLong()).isZero();
        assertThat(settled.json().get("conversations_skipped").asInt()).isEqualTo(3);
    }

    @Test
    void the_default_conversation_a_server_on_the_database_started_empty_takes_the_journals_items_and_title()
            throws Exception {
        Path data = journal();
        CompanionLauncher launcher = launcher();
        ServeOptions serve = new ServeOptions("127.0.0.1", 0, new ProviderOptions(ProviderChoice.OFFLINE,
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()),
                StorageOptions.shared(StoreOptions.at(SERVED.url())), Optional.empty());
        try (RunningServer server = launcher.serve(serve)) {
            Run run = run("store", "import", "--from", data.toString(), "--store", SERVED.url(), "--json");

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.json().get("conversations_extended").asInt()).as("the default, there and empty").isEqualTo(1);
            assertThat(run.json().get("conversations_imported").asInt()).isEqualTo(2);
            URI base = server.consoleUri();
            HttpResponse<String> transcript = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    base.resolve("/api/companion/transcript")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(transcript.body()).contains("\"total_items\":2").contains("hi there");
            HttpResponse<String> list = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    base.resolve("/api/conversations")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(list.body()).contains("Everyday").contains("c-trip").contains("c-recipes");
        }
    }

    @Test
    void a_data_directory_a_server_holds_is_refused_with_exit_7_naming_that_server() throws Exception {
        Path data = journal();
        CompanionLauncher journalLauncher = new CompanionLauncher(prompts,
                new ModelSelection(Map.of(), prompts, () -> false), CompanionLauncher.Storage.journal(data));
        ServeOptions serve = new ServeOptions("127.0.0.1", 0, new ProviderOptions(ProviderChoice.OFFLINE,
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()),
                new StorageOptions(Optional.of(data), false), Optional.empty());
        try (RunningServer server = journalLauncher.serve(serve)) {
            Run run = run("store", "import", "--from", data.toString(), "--store", DATABASE.url());

            assertThat(run.exitCode()).isEqualTo(ExitCodes.DATA_DIRECTORY_LOCKED);
            assertThat(run.errLines()).containsExactly(
                    "error: Another Companion server is using this data directory; stop it or choose another data "
                            + "directory. (data_directory_locked)",
                    "hint: stop the Companion server at http://127.0.0.1:" + server.consoleUri().getPort()
                            + " that uses this data directory, then import again");
        }
    }

    @Test
    void a_directory_with_no_conversations_is_a_usage_error_and_is_left_as_it_was() throws Exception {
        Path missing = temp.resolve("nothing-here");
        Path empty = Files.createDirectory(temp.resolve("empty"));

        Run fromMissing = run("store", "import", "--from", missing.toString(), "--store", DATABASE.url());
        Run fromEmpty = run("store", "import", "--from", empty.toString(), "--store", DATABASE.url());

        for (Run run : List.of(fromMissing, fromEmpty)) {
            assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
            assertThat(run.errLines()[0]).isEqualTo("error: --from names no Companion data directory: it holds no "
                    + "conversations to import. (invalid_parameter)");
            assertThat(run.err()).doesNotContain(temp.toString());
        }
        assertThat(missing).doesNotExist();
        try (var listing = Files.list(empty)) {
            assertThat(listing).isEmpty();
        }
    }
}
