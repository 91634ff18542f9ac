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
import dev.companion.prompts.ClasspathPromptCatalog;
import dev.companion.store.postgres.PostgresCluster;
import dev.companion.store.postgres.PostgresDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Servers and in-process commands on one real PostgreSQL database ({@code --store}): what one writes
 * another sees, the schema is migrated at start unless told not to, and a database that cannot be
 * reached or refuses the login is one line and an exit code, or a 503 while serving.
 */
class SharedStoreServeTest {

    @RegisterExtension
    static final PostgresDatabase DATABASE = PostgresDatabase.empty();

    @RegisterExtension
    static final PostgresDatabase NOT_MIGRATED = PostgresDatabase.empty();

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    private final ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();
    private final HttpClient http = HttpClient.newHttpClient();

    /** The offline model's quickest pace: these tests are about the store, not how fast a reply streams. */
    private static final Map<String, String> QUICK_OFFLINE_REPLIES = Map.of(ModelSelection.OFFLINE_PAUSE_ENV, "1");

    private CompanionLauncher launcher(Map<String, String> environment) {
        return new CompanionLauncher(prompts, new ModelSelection(QUICK_OFFLINE_REPLIES, prompts, () -> false),
                CompanionLauncher.Storage.journal(temp.resolve("default-data-dir-never-used")),
                new SharedStore(environment));
    }

    private CompanionLauncher launcher() {
        return launcher(Map.of("PGPASSWORD", PostgresCluster.PASSWORD));
    }

    private static ServeOptions serveOn(String url, boolean migrate) {
        return new ServeOptions("127.0.0.1", 0, new ProviderOptions(ProviderChoice.OFFLINE, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty()),
                StorageOptions.shared(new StoreOptions(url, Optional.empty(), migrate)), Optional.empty());
    }

    private record Run(int exitCode, String out, String err) {
        String[] errLines() {
            return err.isEmpty() ? new String[0] : err.split("\\R");
        }
    }

    private static Run run(CompanionLauncher launcher, String... args) {
        var commandLine = CompanionCommandLine.create(launcher, "test", new ByteArrayInputStream(new byte[0]));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int code = commandLine.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private HttpResponse<String> post(URI base, String path, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(URI base, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int closedPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    // --- two servers, one database --------------------------------------------------------------

    @Test
    void a_server_on_postgresql_answers_and_a_second_server_on_the_same_database_sees_the_conversation()
            throws Exception {
        CompanionLauncher first = launcher();
        CompanionLauncher second = launcher();
        try (RunningServer one = first.serve(serveOn(DATABASE.url(), true));
             RunningServer two = second.serve(serveOn(DATABASE.url(), true))) {
            assertThat(one.consoleUri().getPort()).isNotEqualTo(two.consoleUri().getPort());

            HttpResponse<String> reply = post(one.consoleUri(), "/api/companion/messages?wait=true",
                    "{\"content\":\"kept in postgres\"}");
            assertThat(reply.statusCode()).as(reply.body()).isEqualTo(200);
            assertThat(reply.body()).contains("\"outcome\":\"completed\"");

            JsonNode seen = JSON.readTree(get(two.consoleUri(), "/api/companion/transcript").body());
            assertThat(seen.get("total_items").asInt()).isEqualTo(2);
            assertThat(seen.at("/items/0/content").asText()).isEqualTo("kept in postgres");
            assertThat(seen.at("/items/1/status").asText()).isEqualTo("completed");

            // A conversation the second server starts is the first's too.
            HttpResponse<String> created = post(two.consoleUri(), "/api/conversations", "{\"title\":\"Trip\"}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            String id = JSON.readTree(created.body()).at("/conversation/id").asText();
            assertThat(post(two.consoleUri(), "/api/conversations/" + id + "/messages?wait=true",
                    "{\"content\":\"where to in Kyoto\"}").statusCode()).isEqualTo(200);
            JsonNode list = JSON.readTree(get(one.consoleUri(), "/api/conversations").body());
            assertThat(list.get("conversations").findValuesAsText("id")).contains(id, "default");
            assertThat(get(one.consoleUri(), "/api/conversations/" + id + "/transcript").body())
                    .contains("where to in Kyoto").contains("\"total_items\":2");
        }
    }

    @Test
    void in_process_commands_run_on_the_database_and_see_what_a_server_wrote() throws Exception {
        CompanionLauncher launcher = launcher();
        String conversation;
        try (RunningServer server = launcher.serve(serveOn(DATABASE.url(), true))) {
            HttpResponse<String> created = post(server.consoleUri(), "/api/conversations", "{\"title\":\"Shared\"}");
            conversation = JSON.readTree(created.body()).at("/conversation/id").asText();
            post(server.consoleUri(), "/api/conversations/" + conversation + "/messages?wait=true",
                    "{\"content\":\"from the server\"}");
        }

        Run sent = run(launcher, "send", "from the command line", "--conversation", conversation,
                "--store", DATABASE.url(), "--provider", "offline", "--json");
        Run transcript = run(launcher, "transcript", "--conversation", conversation, "--store", DATABASE.url(),
                "--json");
        Run conversations = run(launcher, "conversations", "--store", DATABASE.url(), "--json");

        assertThat(sent.exitCode()).as(sent.err()).isZero();
        JsonNode items = JSON.readTree(transcript.out()).get("items");
        assertThat(items.findValuesAsText("content")).hasSize(4)
                .contains("from the server", "from the command line");
        assertThat(conversations.out()).contains(conversation).contains("Shared");
        assertThat(Files.exists(temp.resolve("default-data-dir-never-used").resolve("companion.catalog")))
                .as("--store keeps nothing in the data directory").isFalse();
    }

    // --- migrations at start ---------------------------------------------------------------------

    @Test
    void serve_with_no_migrate_on_a_database_not_migrated_refuses_to_start_with_exit_8_and_changes_nothing()
            throws Exception {
        CompanionLauncher launcher = launcher();

        Run refused = run(launcher, "serve", "--port", "0", "--provider", "offline", "--store", NOT_MIGRATED.url(),
                "--no-migrate");

        assertThat(refused.exitCode()).isEqualTo(ExitCodes.STORE_SCHEMA_OUTDATED).isEqualTo(9);
        assertThat(refused.errLines()).hasSize(2);
        assertThat(refused.errLines()[0]).startsWith("error: ").endsWith("(store_schema_outdated)");
        assertThat(refused.errLines()[1]).contains("companion store migrate");
        try (var connection = NOT_MIGRATED.connect();
             var tables = connection.getMetaData().getTables(null, "public", "%", new String[] {"TABLE"})) {
            assertThat(tables.next()).as("nothing was created").isFalse();
        }
    }

    // --- a database that cannot be used ----------------------------------------------------------

    @Test
    void a_wrong_password_is_one_line_exit_6_and_the_password_is_never_printed() throws Exception {
        Path wrong = temp.resolve("pg-password");
        Files.writeString(wrong, "wrong-password-3e9b\n");

        Run fromFile = run(launcher(), "status", "--store", DATABASE.url(), "--store-password-file", wrong.toString());
        Run fromEnvironment = run(launcher(Map.of("PGPASSWORD", "wrong-password-3e9b")), "serve", "--port", "0",
                "--store", DATABASE.url());

        for (Run run : new Run[] {fromFile, fromEnvironment}) {
            assertThat(run.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE).isEqualTo(6);
            assertThat(run.errLines()).hasSize(2);
            assertThat(run.errLines()[0]).isEqualTo(
                    "error: The transcript database refused the user name or password. (store_unavailable)");
            assertThat(run.errLines()[1]).isEqualTo("hint: check that PostgreSQL is running and reachable at 127.0.0.1:"
                    + DATABASE.cluster().port() + ", and the user and the password (PGPASSWORD or --store-password-file)");
            assertThat(run.err() + run.out()).doesNotContain("wrong-password").doesNotContain(PostgresCluster.PASSWORD)
                    .doesNotContain(temp.toString()).doesNotContain("Exception");
        }
    }

    @Test
    void a_database_nobody_listens_for_is_one_line_and_exit_6() throws Exception {
        int port = closedPort();

        Run run = run(launcher(), "send", "hi", "--store", "postgresql://127.0.0.1:" + port + "/companion?user=ada");

        assertThat(run.exitCode()).isEqualTo(6);
        assertThat(run.errLines()).containsExactly(
                "error: The transcript database cannot be reached right now. (store_unavailable)",
                "hint: check that PostgreSQL is running and reachable at 127.0.0.1:" + port
                        + ", and the user and the password (PGPASSWORD or --store-password-file)");
    }

    @Test
    void a_url_with_a_password_is_refused_before_anything_starts() {
        Run run = run(launcher(), "serve", "--store",
                "postgresql://companion:" + PostgresCluster.PASSWORD + "@127.0.0.1:" + DATABASE.cluster().port() + "/x");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.errLines()).hasSize(2);
        assertThat(run.err()).doesNotContain(PostgresCluster.PASSWORD).doesNotContain("127.0.0.1");
    }

    @Test
    void the_store_and_a_data_directory_together_are_refused() {
        Run run = run(launcher(), "serve", "--store", DATABASE.url(), "--data-dir", temp.toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.errLines()[0]).contains("give --store or --data-dir, not both");
    }

    @Test
    void a_url_the_store_cannot_read_or_an_unreadable_password_file_is_a_usage_error_naming_neither() {
        Run badUrl = run(launcher(), "status", "--store", "mysql://127.0.0.1/companion");
        Run noFile = run(launcher(), "status", "--store", DATABASE.url(), "--store-password-file",
                temp.resolve("missing").toString());

        assertThat(badUrl.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badUrl.errLines()[0]).isEqualTo("error: --store: a PostgreSQL URL looks like "
                + "postgresql://HOST:PORT/DATABASE?user=USER. (invalid_parameter)");
        assertThat(noFile.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noFile.errLines()[0]).contains("password file").doesNotContain(temp.toString());
    }

    // --- losing the database while serving -------------------------------------------------------

    @Test
    void while_the_database_is_down_a_send_is_503_store_unavailable_with_retry_after_and_works_again_after()
            throws Exception {
        PostgresCluster cluster = DATABASE.cluster();
        try (RunningServer server = launcher().serve(serveOn(DATABASE.url(), true))) {
            URI base = server.consoleUri();
            assertThat(post(base, "/api/companion/messages?wait=true", "{\"content\":\"before\"}").statusCode())
                    .isEqualTo(200);

            cluster.stop();
            try {
                HttpResponse<String> refused = post(base, "/api/companion/messages", "{\"content\":\"during\"}");
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(
                        seconds -> assertThat(Integer.parseInt(seconds)).isPositive());
                JsonNode body = JSON.readTree(refused.body());
                assertThat(body.get("state").asText()).isEqualTo("error");
                assertThat(body.at("/diagnostics/0/code").asText()).isEqualTo("store_unavailable");
                assertThat(refused.body()).doesNotContain("127.0.0.1").doesNotContain(PostgresCluster.PASSWORD);

                HttpResponse<String> read = get(base, "/api/companion/transcript");
                assertThat(read.statusCode()).as("a read the store cannot answer is 503 too").isEqualTo(503);
                assertThat(get(base, "/api/workers").statusCode()).as("what the server holds itself").isEqualTo(200);
            } finally {
                cluster.start();
            }

            HttpResponse<String> after = post(base, "/api/companion/messages?wait=true", "{\"content\":\"after\"}");
            assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
            JsonNode transcript = JSON.readTree(get(base, "/api/companion/transcript").body());
            assertThat(transcript.get("items").findValuesAsText("content")).contains("before", "after")
                    .doesNotContain("during");
        }
    }

    @Test
    void a_command_line_send_to_a_server_that_lost_its_database_exits_6() throws Exception {
        PostgresCluster cluster = DATABASE.cluster();
        CompanionLauncher launcher = launcher();
        try (RunningServer server = launcher.serve(serveOn(DATABASE.url(), true))) {
            String url = "http://127.0.0.1:" + server.consoleUri().getPort();
            cluster.stop();
            Run run;
            try {
                run = run(launcher, "send", "hi", "--url", url);
            } finally {
                cluster.start();
            }

            assertThat(run.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);
            assertThat(run.errLines()).containsExactly(
                    "error: The transcript database cannot be reached right now. (store_unavailable)",
                    "hint: the server cannot reach its database right now; try again once it is back");
        }
    }
}
