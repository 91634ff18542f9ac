package dev.companion.adapter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.companion.adapter.cli.CompanionCommandLine.ConnectOptions;
import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.RefusedConversation;
import dev.companion.adapter.cli.CompanionCommandLine.RunningServer;
import dev.companion.adapter.cli.CompanionCommandLine.ServeOptions;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.adapter.cli.CompanionCommandLine.StoreImport;
import dev.companion.adapter.cli.CompanionCommandLine.StoreMigration;
import dev.companion.adapter.cli.CompanionCommandLine.StoreOptions;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** {@code --store URL} on every command that runs the Companion in-process, and {@code companion store}. */
class StoreCommandLineTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String URL = "postgresql://db.internal:6543/companion?user=ada";

    private final StoreLauncher launcher = new StoreLauncher(RuntimeLauncher.offline());

    @AfterEach
    void close() {
        launcher.runtime.close();
    }

    /** The runtime launcher for sessions and servers, with {@code store migrate} and {@code store import} scripted. */
    static final class StoreLauncher implements Launcher {
        final RuntimeLauncher runtime;
        final List<StoreOptions> migrated = new CopyOnWriteArrayList<>();
        final List<Path> importedFrom = new CopyOnWriteArrayList<>();
        final List<StoreOptions> importedInto = new CopyOnWriteArrayList<>();
        volatile Supplier<RuntimeException> failure;
        volatile StoreMigration migration = new StoreMigration(1, Optional.of("1"));
        volatile StoreImport imported = new StoreImport(2, 1, 3, 17, 1, List.of());

        StoreLauncher(RuntimeLauncher runtime) {
            this.runtime = runtime;
        }

        @Override
        public Session open(ConnectOptions options) {
            return runtime.open(options);
        }

        @Override
        public RunningServer serve(ServeOptions options) {
            return runtime.serve(options);
        }

        @Override
        public StoreMigration migrate(StoreOptions store) {
            migrated.add(store);
            if (failure != null) {
                throw failure.get();
            }
            return migration;
        }

        @Override
        public StoreImport importJournal(Path dataDir, StoreOptions store) {
            importedFrom.add(dataDir);
            importedInto.add(store);
            if (failure != null) {
                throw failure.get();
            }
            return imported;
        }
    }

    // --- --store on the commands that run the Companion ----------------------------------------

    @Test
    void serve_takes_the_store_url_migrating_unless_told_not_to_and_the_password_file() {
        assertThat(Cli.run(launcher, "serve", "--port", "0", "--store", URL).exitCode()).isZero();
        assertThat(Cli.run(launcher, "serve", "--port", "0", "--store", URL, "--no-migrate",
                "--store-password-file", "secret.txt").exitCode()).isZero();

        List<ServeOptions> served = launcher.runtime.served;
        assertThat(served.get(0).storage().store()).contains(new StoreOptions(URL, Optional.empty(), true));
        assertThat(served.get(0).storage().dataDir()).isEmpty();
        assertThat(served.get(0).storage().ephemeral()).isFalse();
        assertThat(served.get(1).storage().store())
                .contains(new StoreOptions(URL, Optional.of(Path.of("secret.txt")), false));
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "send hello", "transcript", "conversations", "workers", "regenerate"})
    void every_in_process_command_takes_the_store(String command) {
        String[] words = (command + " --store " + URL).split(" ");

        Cli.Run run = Cli.run(launcher, words);

        assertThat(launcher.runtime.opened).as(run.err()).hasSize(1);
        assertThat(launcher.runtime.opened.get(0).storage().store()).hasValueSatisfying(store -> {
            assertThat(store.url()).isEqualTo(URL);
            assertThat(store.migrate()).isTrue();
        });
    }

    @Test
    void without_store_the_journal_stays_the_default() {
        assertThat(Cli.run(launcher, "status").exitCode()).isZero();

        assertThat(launcher.runtime.opened.get(0).storage().store()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "postgresql://ada:hunter2-pw@db.internal:5432/companion",
            "postgresql://db.internal:5432/companion?user=ada&password=hunter2-pw",
            "postgresql://db.internal/companion?PASSWORD=hunter2-pw",
            "postgresql://db.internal/companion?%70assword=hunter2-pw",
            "jdbc:postgresql://ada:hunter2-pw@db.internal/companion",
            "postgres://ada:hunter2-pw@db internal/companion"})
    void a_store_url_with_a_password_is_refused_without_repeating_it(String url) {
        for (String command : new String[] {"serve", "status", "store migrate"}) {
            String[] words = (command + " --store").split(" ");
            String[] args = java.util.Arrays.copyOf(words, words.length + 1);
            args[words.length] = url;

            Cli.Run run = Cli.run(launcher, args);

            assertThat(run.exitCode()).as(command).isEqualTo(ExitCodes.USAGE);
            assertThat(run.errLines()).as(command).hasSize(2);
            assertThat(run.errLines()[0]).startsWith("error: --store: the store URL must not carry a password");
            assertThat(run.err() + run.out()).as(command).doesNotContain("hunter2").doesNotContain("db.internal");
        }
        assertThat(launcher.runtime.opened).isEmpty();
        assertThat(launcher.runtime.served).isEmpty();
        assertThat(launcher.migrated).isEmpty();
    }

    @Test
    void a_user_name_alone_in_the_url_is_no_password() {
        assertThat(new StoreOptions("postgresql://ada@db.internal:5432/companion", Optional.empty(), true).url())
                .contains("ada@");
        assertThatIllegalArgumentException().isThrownBy(() -> StoreOptions.at(" "));
    }

    @Test
    void the_store_with_a_data_directory_or_ephemeral_is_a_usage_error() {
        Cli.Run withDataDir = Cli.run(launcher, "serve", "--store", URL, "--data-dir", "data");
        Cli.Run withEphemeral = Cli.run(launcher, "send", "hi", "--store", URL, "--ephemeral");

        assertThat(withDataDir.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(withDataDir.errLines()[0]).isEqualTo(
                "error: give --store or --data-dir, not both: a Companion keeps its conversations in one place");
        assertThat(withEphemeral.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(withEphemeral.errLines()[0]).contains("--store or --ephemeral");
        assertThat(launcher.runtime.served).isEmpty();
        assertThat(launcher.runtime.opened).isEmpty();
    }

    @Test
    void store_options_without_a_store_or_beside_url_are_usage_errors() {
        assertThat(Cli.run(launcher, "serve", "--no-migrate").errLines()[0])
                .isEqualTo("error: --no-migrate applies to a database given with --store");
        assertThat(Cli.run(launcher, "status", "--store-password-file", "pw").errLines()[0])
                .isEqualTo("error: --store-password-file applies to a database given with --store");
        Cli.Run remote = Cli.run(launcher, "status", "--url", "http://127.0.0.1:8765", "--store", URL);
        assertThat(remote.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(remote.errLines()[0]).contains("--store applies to the in-process Companion");
        assertThat(launcher.runtime.opened).isEmpty();
    }

    // --- the database failing --------------------------------------------------------------------

    @Test
    void an_unreachable_database_is_one_line_exit_6_and_a_hint_naming_only_its_host_and_port() {
        launcher.runtime.failure = () -> new CompanionException(CompanionState.ERROR, Diagnostic.error(
                DiagnosticCode.STORE_UNAVAILABLE, "The transcript database cannot be reached right now."));

        Cli.Run run = Cli.run(launcher, "serve", "--store", "postgresql://ada@db.internal/companion");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE).isEqualTo(6);
        assertThat(run.errLines()).containsExactly(
                "error: The transcript database cannot be reached right now. (store_unavailable)",
                "hint: check that PostgreSQL is running and reachable at db.internal:5432, and the user and the "
                        + "password (PGPASSWORD or --store-password-file)");
        assertThat(run.out()).doesNotContain("ada");
    }

    @Test
    void a_database_not_migrated_exits_8_and_points_at_store_migrate() {
        launcher.runtime.failure = () -> new CompanionException(CompanionState.ERROR, Diagnostic.error(
                DiagnosticCode.STORE_SCHEMA_OUTDATED, "The transcript database has no Companion tables; migrate it first."));

        Cli.Run run = Cli.run(launcher, "serve", "--store", URL, "--no-migrate");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.STORE_SCHEMA_OUTDATED).isEqualTo(9);
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.errLines()[0]).endsWith("(store_schema_outdated)");
        assertThat(run.errLines()[1]).isEqualTo("hint: apply this release's migrations: "
                + "'companion store migrate --store URL', or start without --no-migrate");
    }

    @Test
    void a_server_at_url_that_lost_its_database_says_so_with_exit_6() {
        launcher.runtime.failure = () -> new CompanionException(CompanionState.ERROR, Diagnostic.error(
                DiagnosticCode.STORE_UNAVAILABLE, "The transcript database cannot be reached right now."));

        Cli.Run run = Cli.run(launcher, "send", "hi", "--url", "http://127.0.0.1:8765");

        assertThat(run.exitCode()).isEqualTo(6);
        assertThat(run.errLines()[1]).isEqualTo("hint: the server cannot reach its database right now; try again once it is back");
    }

    @Test
    void store_addresses_show_host_and_port_only() {
        assertThat(Failures.storeAddress("postgresql://ada@db:6000/x?user=ada")).contains("db:6000");
        assertThat(Failures.storeAddress("jdbc:postgresql://10.0.0.5/x")).contains("10.0.0.5:5432");
        assertThat(Failures.storeAddress("postgresql://[::1]:5433/x")).contains("[::1]:5433");
        assertThat(Failures.storeAddress("postgresql://[::1]/x")).contains("[::1]:5432");
        assertThat(Failures.storeAddress("not a url")).isEmpty();
        assertThat(Failures.storeAddress("postgresql://a b/x")).isEmpty();
    }

    // --- companion store migrate -----------------------------------------------------------------

    @Test
    void store_migrate_says_what_it_applied_in_words_and_in_json() {
        Cli.Run applied = Cli.run(launcher, "store", "migrate", "--store", URL);
        launcher.migration = new StoreMigration(0, Optional.of("1"));
        Cli.Run nothing = Cli.run(launcher, "store", "migrate", "--store", URL, "--store-password-file", "pw");
        Cli.Run json = Cli.run(launcher, "store", "migrate", "--store", URL, "--json");

        assertThat(applied.exitCode()).isZero();
        assertThat(applied.out()).isEqualTo("applied 1 migration; the Companion tables are at version 1" + System.lineSeparator());
        assertThat(nothing.out()).startsWith("nothing to apply; the Companion tables are at version 1");
        assertThat(json.out().strip()).isEqualTo(
                "{\"state\":\"ready\",\"applied\":0,\"schema_version\":\"1\",\"diagnostics\":[]}");
        assertThat(launcher.migrated).extracting(StoreOptions::url).containsOnly(URL);
        assertThat(launcher.migrated.get(1).passwordFile()).contains(Path.of("pw"));
    }

    @Test
    void store_commands_need_a_store() {
        Cli.Run migrate = Cli.run(launcher, "store", "migrate");
        Cli.Run bare = Cli.run(launcher, "store");
        Cli.Run importWithoutFrom = Cli.run(launcher, "store", "import", "--store", URL);

        assertThat(migrate.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(migrate.errLines()[0]).isEqualTo("error: name the database with --store postgresql://HOST:5432/DB?user=USER");
        assertThat(bare.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(importWithoutFrom.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(importWithoutFrom.errLines()[0]).contains("--from");
        assertThat(launcher.migrated).isEmpty();
        assertThat(launcher.importedFrom).isEmpty();
    }

    @Test
    void a_database_that_cannot_be_migrated_or_reached_is_one_line_and_its_exit_code() {
        launcher.failure = () -> new CompanionException(CompanionState.ERROR, Diagnostic.error(
                DiagnosticCode.STORE_UNAVAILABLE, "The transcript database refused the user name or password."));
        Cli.Run refused = Cli.run(launcher, "store", "migrate", "--store", URL, "--json");
        launcher.failure = () -> new CompanionException(CompanionState.ERROR, Diagnostic.error(
                DiagnosticCode.STORE_SCHEMA_OUTDATED, "The transcript database's Companion tables could not be migrated."));
        Cli.Run failed = Cli.run(launcher, "store", "migrate", "--store", URL);

        assertThat(refused.exitCode()).isEqualTo(6);
        assertThat(refused.errLines()).hasSize(2);
        assertThat(refused.errLines()[1]).contains("db.internal:6543").doesNotContain("ada");
        assertThat(refused.out()).contains("\"code\":\"store_unavailable\"");
        assertThat(failed.exitCode()).isEqualTo(9);
        assertThat(failed.errLines()[1]).isEqualTo(
                "hint: a migration failed and was rolled back, nothing changed; the database server's log says why");
    }

    // --- companion store import ------------------------------------------------------------------

    @Test
    void store_import_prints_a_summary_and_json() throws Exception {
        Cli.Run text = Cli.run(launcher, "store", "import", "--from", "old-data", "--store", URL);
        Cli.Run json = Cli.run(launcher, "store", "import", "--from", "old-data", "--store", URL, "--no-migrate", "--json");

        assertThat(text.exitCode()).isZero();
        assertThat(text.out().strip()).isEqualTo(
                "imported 2 conversations, extended 1, skipped 3 already there, refused 0; copied 17 items, marked 1 superseded");
        assertThat(text.err()).isEmpty();
        JsonNode answer = JSON.readTree(json.out());
        assertThat(answer.get("state").asText()).isEqualTo("ready");
        assertThat(answer.get("conversations_imported").asInt()).isEqualTo(2);
        assertThat(answer.get("conversations_extended").asInt()).isEqualTo(1);
        assertThat(answer.get("conversations_skipped").asInt()).isEqualTo(3);
        assertThat(answer.get("conversations_refused").asInt()).isZero();
        assertThat(answer.get("items_copied").asLong()).isEqualTo(17);
        assertThat(answer.get("refused").size()).isZero();
        assertThat(launcher.importedFrom).containsOnly(Path.of("old-data"));
        assertThat(launcher.importedInto.get(0).migrate()).isTrue();
        assertThat(launcher.importedInto.get(1).migrate()).isFalse();
    }

    @Test
    void a_refused_conversation_is_named_on_stderr_and_exits_1_after_the_rest_was_copied() throws Exception {
        launcher.imported = new StoreImport(1, 0, 0, 4, 0, List.of(new RefusedConversation(new ConversationId("c-1"),
                "the database holds other items from item 2 on")));

        Cli.Run text = Cli.run(launcher, "store", "import", "--from", "d", "--store", URL);
        Cli.Run json = Cli.run(launcher, "store", "import", "--from", "d", "--store", URL, "--json");

        assertThat(text.exitCode()).isEqualTo(ExitCodes.ERROR);
        assertThat(text.out()).contains("imported 1 conversation,").contains("refused 1");
        assertThat(text.errLines()).hasSize(2);
        assertThat(text.errLines()[0]).isEqualTo(
                "warning: conversation c-1 was not imported: the database holds other items from item 2 on");
        assertThat(text.errLines()[1]).startsWith("hint: ");
        JsonNode answer = JSON.readTree(json.out());
        assertThat(json.exitCode()).isEqualTo(1);
        assertThat(answer.get("state").asText()).isEqualTo("error");
        assertThat(answer.at("/refused/0/conversation_id").asText()).isEqualTo("c-1");
    }

    @Test
    void an_import_from_a_directory_a_server_holds_names_that_server_and_exits_7() {
        launcher.failure = () -> new CompanionCommandLine.DataDirectoryHeldException(Diagnostic.error(
                DiagnosticCode.DATA_DIRECTORY_LOCKED, "Another Companion server is using this data directory."),
                Optional.of(java.net.URI.create("http://127.0.0.1:9000")));

        Cli.Run run = Cli.run(launcher, "store", "import", "--from", "d", "--store", URL);

        assertThat(run.exitCode()).isEqualTo(7);
        assertThat(run.errLines()).containsExactly(
                "error: Another Companion server is using this data directory. (data_directory_locked)",
                "hint: stop the Companion server at http://127.0.0.1:9000 that uses this data directory, then import again");
    }

    @ParameterizedTest
    @ValueSource(strings = {"store", "store migrate", "store import"})
    void the_store_commands_have_help_with_examples_and_the_exit_codes(String command) {
        Cli.Run run = Cli.run(launcher, (command + " --help").split(" "));

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Examples:").contains("  companion store").contains("--store")
                .contains("6   unavailable").contains("8   ended early").contains("9   outdated");
    }

    @Test
    void a_launcher_without_a_shared_store_refuses_the_store_commands_as_usage() {
        Cli.Run run = Cli.run(launcher.runtime, "store", "migrate", "--store", URL);

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.errLines()[0]).contains("no shared database").endsWith("(invalid_parameter)");
    }
}
