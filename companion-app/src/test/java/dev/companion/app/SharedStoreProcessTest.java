package dev.companion.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.companion.store.postgres.PostgresCluster;
import dev.companion.store.postgres.PostgresDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code companion} program itself, as separate processes on one real PostgreSQL database: what
 * an operator types. Standard error is checked whole here, since a library that logs (the pool,
 * the migrations) would write there, and only here would it show.
 */
class SharedStoreProcessTest {

    @RegisterExtension
    static final PostgresDatabase DATABASE = PostgresDatabase.empty();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path home;

    private final List<Companion> started = new ArrayList<>();

    @AfterEach
    void stopEveryProcess() throws InterruptedException {
        for (Companion process : started) {
            process.close();
        }
    }

    /** {@code companion ARGS} in its own JVM, with PGPASSWORD (or not) and a home of its own. */
    private Companion start(Map<String, String> environment, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command()
                        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()),
                "-XX:TieredStopAtLevel=1", "-Duser.home=" + home, "-cp", System.getProperty("java.class.path"),
                "dev.companion.app.Main"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove("PGPASSWORD");
        builder.environment().remove("OPENAI_API_KEY");
        builder.environment().remove("ANTHROPIC_API_KEY");
        builder.environment().put("XDG_DATA_HOME", home.resolve("data").toString());
        // The offline model's quickest pace: these tests are about the store, not how fast a reply streams.
        builder.environment().put(ModelSelection.OFFLINE_PAUSE_ENV, "1");
        builder.environment().putAll(environment);
        Companion process = new Companion(builder.start());
        started.add(process);
        return process;
    }

    private Companion withPassword(String... args) throws IOException {
        return start(Map.of("PGPASSWORD", PostgresCluster.PASSWORD), args);
    }

    /** One {@code companion} process and its two output streams, read line by line as they come. */
    static final class Companion implements AutoCloseable {
        private final Process process;
        private final LinkedBlockingQueue<String> stdout = new LinkedBlockingQueue<>();
        private final List<String> out = new CopyOnWriteArrayList<>();
        private final List<String> err = new CopyOnWriteArrayList<>();
        private final Thread outReader;
        private final Thread errReader;

        Companion(Process process) {
            this.process = process;
            this.outReader = pump(process.getInputStream(), line -> {
                out.add(line);
                stdout.add(line);
            });
            this.errReader = pump(process.getErrorStream(), err::add);
        }

        private static Thread pump(InputStream stream, java.util.function.Consumer<String> lines) {
            Thread thread = new Thread(() -> {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                        lines.accept(line);
                    }
                } catch (IOException ended) {
                    // the process is gone
                }
            }, "companion-output");
            thread.setDaemon(true);
            thread.start();
            return thread;
        }

        /** The server's base URI from the console line it prints once it listens. */
        URI awaitListening() throws InterruptedException {
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (System.nanoTime() < deadline) {
                String line = stdout.poll(200, TimeUnit.MILLISECONDS);
                if (line != null && line.startsWith("Companion console: ")) {
                    return URI.create(line.substring("Companion console: ".length()).strip()).resolve("/");
                }
                if (line == null && !process.isAlive()) {
                    throw new AssertionError("the server ended: stdout " + out + ", stderr " + err);
                }
            }
            throw new AssertionError("the server printed no console line: stdout " + out + ", stderr " + err);
        }

        int awaitExit() throws InterruptedException {
            if (!process.waitFor(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("still running: stdout " + out + ", stderr " + err);
            }
            outReader.join(DEADLINE.toMillis());
            errReader.join(DEADLINE.toMillis());
            return process.exitValue();
        }

        List<String> out() {
            return List.copyOf(out);
        }

        List<String> err() {
            return List.copyOf(err);
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static HttpResponse<String> send(URI base, String method, String path, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(DEADLINE);
        request = json == null ? request.GET()
                : request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void store_migrate_applies_the_migrations_once_says_so_and_writes_nothing_else() throws Exception {
        Companion first = withPassword("store", "migrate", "--store", DATABASE.url());
        assertThat(first.awaitExit()).as(first.err().toString()).isZero();
        Companion again = withPassword("store", "migrate", "--store", DATABASE.url(), "--json");
        assertThat(again.awaitExit()).isZero();

        assertThat(first.out()).containsExactly("applied 3 migrations; the Companion tables are at version 3");
        assertThat(first.err()).isEmpty();
        JsonNode json = JSON.readTree(String.join("\n", again.out()));
        assertThat(json.get("state").asText()).isEqualTo("ready");
        assertThat(json.get("applied").asInt()).isZero();
        assertThat(json.get("schema_version").asText()).isEqualTo("3");
        assertThat(again.err()).isEmpty();
    }

    @Test
    void two_server_processes_on_one_database_see_each_others_conversations() throws Exception {
        Companion one = withPassword("serve", "--port", "0", "--provider", "offline", "--store", DATABASE.url());
        Companion two = withPassword("serve", "--port", "0", "--provider", "offline", "--store", DATABASE.url());
        URI first = one.awaitListening();
        URI second = two.awaitListening();

        HttpResponse<String> created = send(first, "POST", "/api/conversations", "{\"title\":\"Across servers\"}");
        String id = JSON.readTree(created.body()).at("/conversation/id").asText();
        HttpResponse<String> answered = send(first, "POST", "/api/conversations/" + id + "/messages?wait=true",
                "{\"content\":\"written on the first\"}");
        assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);

        HttpResponse<String> seen = send(second, "GET", "/api/conversations/" + id + "/transcript", null);
        assertThat(seen.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(seen.body()).get("items").findValuesAsText("content"))
                .hasSize(2).startsWith("written on the first");
        HttpResponse<String> continued = send(second, "POST", "/api/conversations/" + id + "/messages?wait=true",
                "{\"content\":\"and on the second\"}");
        assertThat(continued.statusCode()).isEqualTo(200);
        assertThat(send(first, "GET", "/api/conversations/" + id + "/transcript", null).body())
                .contains("\"total_items\":4").contains("and on the second");

        one.close();
        two.close();
        assertThat(one.err()).as("nothing but the server's own words on stderr").isEmpty();
        assertThat(two.err()).isEmpty();
    }

    @Test
    void a_wrong_password_is_exactly_two_lines_on_stderr_with_exit_6_and_no_password() throws Exception {
        Companion refused = start(Map.of("PGPASSWORD", "wrong-password-71c2"), "send", "hello", "--store",
                DATABASE.url());

        assertThat(refused.awaitExit()).isEqualTo(6);
        assertThat(refused.err()).containsExactly(
                "error: The transcript database refused the user name or password. (store_unavailable)",
                "hint: check that PostgreSQL is running and reachable at 127.0.0.1:" + DATABASE.cluster().port()
                        + ", and the user and the password (PGPASSWORD or --store-password-file)");
        assertThat(refused.out()).isEmpty();
    }

    @Test
    void a_url_with_a_password_is_refused_with_exit_2_and_not_echoed() throws Exception {
        Companion refused = start(Map.of(), "serve", "--store",
                "postgresql://companion:" + PostgresCluster.PASSWORD + "@127.0.0.1:" + DATABASE.cluster().port() + "/x");

        assertThat(refused.awaitExit()).isEqualTo(2);
        assertThat(refused.err()).hasSize(2);
        assertThat(String.join("\n", refused.err())).doesNotContain(PostgresCluster.PASSWORD).doesNotContain("127.0.0.1");
    }
}
