package dev.companion.app.crash;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.app.crash.CompanionClient.Answer;
import dev.companion.app.crash.CompanionClient.Item;
import dev.companion.store.postgres.PostgresCluster;
import dev.companion.store.postgres.PostgresDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database stopped and started again under two serving nodes sending without pause: while it is
 * away, sends answer 503 {@code store_unavailable} and what a node holds in memory still answers; once
 * it is back both nodes work again by themselves (pool, lease claims, the LISTEN connection), and
 * nothing either node acknowledged is missing.
 */
class TwoNodesOutageProcessTest {

    @RegisterExtension
    static final PostgresDatabase DATABASE = PostgresDatabase.empty();

    private static final Duration READY = Duration.ofSeconds(60);
    /**
     * How long a step may take before the test gives up on it: a guard against a hang, not a measure
     * of speed. While the database is away a store call may wait the pool's 5 s connect timeout,
     * several times over in a step, and the machine may be busy with other tests.
     */
    private static final Duration DEADLINE = Duration.ofSeconds(120);

    private final List<ServerProcess> started = new ArrayList<>();
    private final List<SseStream> streams = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @AfterEach
    void cleanUp() throws InterruptedException {
        streams.forEach(SseStream::close);
        for (ServerProcess server : started) {
            server.close();
        }
        if (databaseStopped) {
            DATABASE.cluster().start(); // the test failed while the database was away
        }
    }

    private volatile boolean databaseStopped;

    private record Node(URI base, CompanionClient client) {
    }

    private Node node() throws IOException, InterruptedException {
        ServerProcess server = ServerProcess.serveOnStore(DATABASE.url(), PostgresCluster.PASSWORD,
                Duration.ofMillis(2), "2s");
        started.add(server);
        URI base = server.awaitBaseUri(READY)
                .orElseThrow(() -> new AssertionError("the server did not start: " + server.output()));
        return new Node(base, new CompanionClient(base));
    }

    /** What one sender was told: the user messages stored, the replies stored, and the 503s. */
    private static final class Ledger {
        final String name;
        final ConcurrentLinkedQueue<String> storedMessages = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Item> storedReplies = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> unavailable = new ConcurrentLinkedQueue<>();
        volatile int acknowledged;
        /** The last answer this sender had, for a failure to show where it stands. */
        volatile String lastAnswer = "none yet";
        /** Set, with {@link #failure} if it failed, when the sender has stopped; under {@link #PROGRESS}. */
        boolean stopped;
        Throwable failure;

        Ledger(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name + ": " + acknowledged + " acknowledged, last: " + lastAnswer;
        }
    }

    /** Sends one message after another to one conversation, each waiting for its reply, until told to stop. */
    private static Ledger load(ExecutorService threads, Node node, String conversation, String name,
                               AtomicBoolean stop, List<Future<?>> running) {
        Ledger ledger = new Ledger(name);
        running.add(threads.submit(() -> {
            Throwable failure = null;
            try {
                send(node, conversation, stop, ledger);
            } catch (Throwable e) {
                failure = e;
                throw e;
            } finally {
                synchronized (PROGRESS) {
                    // A sender that stops, whatever the reason, ends any wait at once (see await).
                    ledger.stopped = true;
                    ledger.failure = failure;
                    PROGRESS.notifyAll();
                }
            }
            return null;
        }));
        return ledger;
    }

    private static void send(Node node, String conversation, AtomicBoolean stop, Ledger ledger)
            throws IOException, InterruptedException {
        int n = 0;
        while (!stop.get()) {
            String content = ledger.name + " message " + n++;
            Answer answer = node.client().post("/api/conversations/" + conversation + "/messages?wait=true",
                    CompanionClient.JSON.createObjectNode().put("content", content).toString());
            ledger.lastAnswer = content + " -> " + answer;
            if (answer.status() == 200) {
                ledger.storedMessages.add(content);
                JsonNode reply = answer.body().get("reply");
                if (reply != null && !reply.isNull()) {
                    ledger.storedReplies.add(Item.of(reply));
                }
                synchronized (PROGRESS) {
                    ledger.acknowledged++;
                    PROGRESS.notifyAll();
                }
            } else if (answer.status() == 503) {
                synchronized (PROGRESS) {
                    ledger.unavailable.add(answer.body().get("diagnostics").get(0).get("code").asText());
                    PROGRESS.notifyAll();
                }
            } else {
                // 409: the lease of a turn whose end could not be written runs out first.
                assertThat(answer.status()).as("%s answered %s", content, answer).isEqualTo(409);
            }
        }
    }

    /** Signalled whenever a sender learns something. */
    private static final Object PROGRESS = new Object();

    /**
     * Waits for the condition; a sender that has stopped (its assertion failed, or its request threw)
     * ends the wait at once with its own failure, which says far more than the deadline would.
     */
    private static void await(String what, java.util.function.BooleanSupplier condition, Ledger... ledgers)
            throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        synchronized (PROGRESS) {
            while (!condition.getAsBoolean()) {
                for (Ledger ledger : ledgers) {
                    if (ledger.stopped) {
                        throw new AssertionError("sender " + ledger + " stopped before " + what, ledger.failure);
                    }
                }
                long left = deadline - System.nanoTime();
                assertThat(left).as("%s before the deadline (senders: %s)", what, List.of(ledgers)).isPositive();
                TimeUnit.NANOSECONDS.timedWait(PROGRESS, left);
            }
        }
    }

    @Test
    void sends_answer_503_while_the_database_is_away_and_nothing_acknowledged_is_lost_once_it_is_back()
            throws Exception {
        Node a = node();
        Node b = node();
        String onA = a.client().post("/api/conversations", "{\"title\":\"a\"}").body().get("conversation").get("id").asText();
        String onB = b.client().post("/api/conversations", "{\"title\":\"b\"}").body().get("conversation").get("id").asText();
        SseStream followerOnB = new SseStream(http, b.base().resolve("/api/events"), Optional.empty(), DEADLINE);
        streams.add(followerOnB);
        assertThat(followerOnB.open.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isTrue();

        ExecutorService threads = Executors.newFixedThreadPool(2);
        AtomicBoolean stop = new AtomicBoolean();
        List<Future<?>> running = new ArrayList<>();
        try {
            Ledger ledgerA = load(threads, a, onA, "a", stop, running);
            Ledger ledgerB = load(threads, b, onB, "b", stop, running);
            await("turns on both nodes", () -> ledgerA.acknowledged >= 3 && ledgerB.acknowledged >= 3,
                    ledgerA, ledgerB);

            DATABASE.cluster().stop();
            databaseStopped = true;
            try {
                await("503 on both nodes", () -> !ledgerA.unavailable.isEmpty() && !ledgerB.unavailable.isEmpty(),
                        ledgerA, ledgerB);
                assertThat(ledgerA.unavailable).containsOnly("store_unavailable");
                assertThat(ledgerB.unavailable).containsOnly("store_unavailable");
                // What the node holds in memory still answers.
                assertThat(a.client().get("/api/workers").status()).isEqualTo(200);
                Answer status = b.client().get("/api/companion/status");
                assertThat(status.status()).isEqualTo(200);
            } finally {
                DATABASE.cluster().start();
                databaseStopped = false;
            }
            int beforeA = ledgerA.acknowledged;
            int beforeB = ledgerB.acknowledged;
            await("both nodes working again",
                    () -> ledgerA.acknowledged > beforeA + 2 && ledgerB.acknowledged > beforeB + 2,
                    ledgerA, ledgerB);
            stop.set(true);
            for (Future<?> sender : running) {
                sender.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            }

            for (var pair : List.of(List.of(onA, ledgerA), List.of(onB, ledgerB))) {
                String conversation = (String) pair.get(0);
                Ledger ledger = (Ledger) pair.get(1);
                List<Item> items = a.client().transcript("/api/conversations/" + conversation);
                List<String> messages = items.stream().filter(item -> item.role().equals("user")).map(Item::content).toList();
                assertThat(messages).containsAll(ledger.storedMessages);
                assertThat(items).containsAll(ledger.storedReplies);
                assertThat(items).extracting(Item::sequence).containsExactlyElementsOf(
                        java.util.stream.LongStream.range(0, items.size()).boxed().toList());
            }

            // The LISTEN connection came back too: B's reader, open all along, follows a turn on A.
            Answer sent = a.client().post("/api/conversations/" + onA + "/messages",
                    "{\"content\":\"after the outage\"}");
            assertThat(sent.status()).isEqualTo(202);
            String turn = sent.body().get("turn_id").asText();
            JsonNode ended;
            do {
                ended = followerOnB.next("turn_completed");
            } while (!ended.get("turn_id").asText().equals(turn));
        } finally {
            stop.set(true);
            threads.shutdownNow();
        }
    }
}
