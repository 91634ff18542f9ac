package dev.companion.store.postgres;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.StorageException;
import dev.companion.core.port.TranscriptStore;
import dev.companion.store.postgres.PostgresConversationCatalog.Password;
import dev.companion.store.postgres.PostgresConversationCatalog.Settings;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A database that cannot be reached, refuses the login or goes away in the middle: typed
 * {@code store_unavailable} failures that name no host, port or password, and a store that works
 * again by itself when the database is back.
 */
class PostgresOutageTest {

    @RegisterExtension
    static final PostgresDatabase DATABASE = PostgresDatabase.migrated();

    private static final Instant T0 = Instant.parse("2025-03-01T10:15:30Z");
    private static final String SECRET = "not-the-password-5c1e";
    private static final Duration RECONNECT_DEADLINE = Duration.ofSeconds(20);

    private static TranscriptEntry user(String content) {
        return new TranscriptEntry(Role.USER, content, T0, "http", ItemStatus.ACCEPTED, new TurnId("turn-1"));
    }

    @Test
    void opening_a_database_nobody_listens_for_is_store_unavailable_naming_no_host_port_or_password() throws IOException {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        Settings settings = Settings.of("127.0.0.1", closedPort, "companion", "companion")
                .withPassword(Password.of(SECRET)).withConnectTimeout(Duration.ofMillis(500));

        assertUnavailable(() -> PostgresConversationCatalog.open(settings), "cannot be reached", closedPort);
    }

    @Test
    void a_wrong_password_is_store_unavailable_and_never_repeats_the_password() {
        Settings settings = DATABASE.settings().withPassword(Password.of(SECRET));

        assertUnavailable(() -> PostgresConversationCatalog.open(settings), "refused the user name or password",
                DATABASE.cluster().port());
    }

    @Test
    void no_password_for_a_database_that_asks_for_one_says_so() {
        Settings settings = Settings.of("127.0.0.1", DATABASE.cluster().port(), DATABASE.name(), PostgresCluster.SUPERUSER)
                .withConnectTimeout(Duration.ofSeconds(2));

        assertUnavailable(() -> PostgresConversationCatalog.open(settings), "asks for a password and none was given",
                DATABASE.cluster().port());
    }

    @Test
    void a_database_that_does_not_exist_is_store_unavailable_without_its_name() {
        Settings settings = Settings.of("127.0.0.1", DATABASE.cluster().port(), "no_such_database_9d2", PostgresCluster.SUPERUSER)
                .withPassword(Password.of(PostgresCluster.PASSWORD));

        assertThatExceptionOfType(StorageException.class).isThrownBy(() -> PostgresConversationCatalog.open(settings))
                .satisfies(e -> {
                    assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.STORE_UNAVAILABLE);
                    assertThat(e.getMessage()).contains("does not exist").doesNotContain("no_such_database_9d2");
                });
    }

    /** The test database with a quick connect timeout, so that each call during an outage fails soon. */
    private static Settings quick() {
        return DATABASE.settings().withConnectTimeout(Duration.ofMillis(500));
    }

    /** Creates the conversation and stores its first message, before any outage. */
    private static TranscriptItem oneMessageIn(PostgresConversationCatalog catalog, ConversationId id) {
        catalog.create(id, Optional.empty(), T0);
        return catalog.transcript(id).append(user("before the outage"));
    }

    @Test
    void a_database_stopped_mid_use_fails_typed_and_the_store_works_again_when_it_is_back() {
        ConversationId id = new ConversationId("outage");
        try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(quick())) {
            TranscriptItem before = oneMessageIn(catalog, id);
            TranscriptStore transcript = catalog.transcript(id);

            DATABASE.cluster().stop();
            try {
                assertUnavailable(() -> transcript.append(user("during the outage")), "cannot be reached",
                        DATABASE.cluster().port());
                assertUnavailable(() -> transcript.read(0, 10), "cannot be reached", DATABASE.cluster().port());
                assertUnavailable(catalog::conversations, "cannot be reached", DATABASE.cluster().port());
                transcript.recordReplyProgress(new TurnId("turn-2"), "never throws");
            } finally {
                DATABASE.cluster().start();
            }

            assertThat(eventually(() -> transcript.read(0, 10))).containsExactly(before);
            TranscriptItem after = transcript.append(user("after the outage"));
            assertThat(after.sequence()).as("nothing half-written during the outage").isEqualTo(1);
            assertThat(catalog.conversations()).hasSize(1);
        }
    }

    @Test
    void a_call_right_after_one_that_found_the_database_away_fails_the_same_way_without_waiting_again() {
        ConversationId id = new ConversationId("away");
        try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(quick())) {
            TranscriptItem before = oneMessageIn(catalog, id);
            TranscriptStore transcript = catalog.transcript(id);

            DATABASE.cluster().stop();
            StorageException lost;
            StorageException waited;
            StorageException next;
            try {
                // The pooled connection is found broken, then the pool waits for a new one in vain.
                lost = catchThrowableOfType(() -> transcript.append(user("during the outage")), StorageException.class);
                waited = catchThrowableOfType(() -> transcript.append(user("again")), StorageException.class);
                next = catchThrowableOfType(() -> transcript.append(user("right after")), StorageException.class);
            } finally {
                DATABASE.cluster().start();
            }

            for (StorageException failure : java.util.List.of(lost, waited, next)) {
                assertThat(failure.diagnostic().code()).isEqualTo(DiagnosticCode.STORE_UNAVAILABLE);
                assertThat(failure.getMessage()).contains("cannot be reached");
            }
            assertThat(causes(next)).as("answered from the failure just seen, not by waiting for the pool again")
                    .anyMatch(cause -> String.valueOf(cause.getMessage()).contains("a moment ago"));
            assertThat(eventually(() -> transcript.read(0, 10))).as("nothing stored meanwhile").containsExactly(before);
        } finally {
            try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(quick())) {
                catalog.delete(id); // the other tests count the conversations
            }
        }
    }

    private static java.util.List<Throwable> causes(Throwable failure) {
        java.util.List<Throwable> all = new java.util.ArrayList<>();
        for (Throwable t = failure; t != null && !all.contains(t); t = t.getCause()) {
            all.add(t);
        }
        return all;
    }

    /**
     * What {@code call} answers once the pool has reconnected. After an outage HikariCP retries new
     * connections with a backoff of up to 5 s, so the first calls after the restart may still find
     * none: each of those waits the connect timeout and fails {@code store_unavailable}, which paces
     * the retries here.
     */
    private static <T> T eventually(Supplier<T> call) {
        long deadline = System.nanoTime() + RECONNECT_DEADLINE.toNanos();
        while (true) {
            try {
                return call.get();
            } catch (StorageException e) {
                if (e.diagnostic().code() != DiagnosticCode.STORE_UNAVAILABLE || System.nanoTime() - deadline > 0) {
                    throw e;
                }
            }
        }
    }

    private static void assertUnavailable(ThrowingCallable call, String wording, int port) {
        assertThatExceptionOfType(StorageException.class).isThrownBy(call).satisfies(e -> {
            assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.STORE_UNAVAILABLE);
            assertThat(e.getMessage()).contains(wording)
                    .doesNotContain("127.0.0.1").doesNotContain("localhost")
                    .doesNotContain(Integer.toString(port)).doesNotContain(SECRET)
                    .doesNotContain(PostgresCluster.PASSWORD).doesNotContain(DATABASE.name());
            assertThat(stackTrace(e)).as("the password is nowhere in the causes either")
                    .doesNotContain(SECRET).doesNotContain(PostgresCluster.PASSWORD);
        });
    }

    private static String stackTrace(Throwable failure) {
        StringWriter text = new StringWriter();
        failure.printStackTrace(new PrintWriter(text));
        return text.toString();
    }
}
