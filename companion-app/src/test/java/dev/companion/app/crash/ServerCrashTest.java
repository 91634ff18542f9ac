package dev.companion.app.crash;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.app.crash.CompanionClient.Answer;
import dev.companion.app.crash.CompanionClient.Events;
import dev.companion.app.crash.CompanionClient.Item;
import dev.companion.core.port.PromptNames;
import dev.companion.prompts.ClasspathPromptCatalog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real server as a separate process, killed with SIGKILL at random moments while it streams
 * replies, restarted on the same data directory each time: every item a client saw acknowledged is
 * still there, in order, exactly once, and the reply cut short is kept as {@code interrupted}.
 *
 * <p>The kill moments come from a seeded {@link Random}; the seed is printed, and
 * {@code -Dcompanion.crash.seed=N} repeats a run's choices (the process timing around them varies).
 */
class ServerCrashTest {

    /** Kill cycles in the crash test: about 2 s each on two cores; {@code -Dcompanion.crash.cycles=N} for a soak. */
    private static final int CYCLES = Integer.getInteger("companion.crash.cycles", 30);
    /** Fast enough that a cycle sees whole turns, slow enough that most kills land inside a reply. */
    private static final Duration PAUSE = Duration.ofMillis(10);
    /** A kill comes within this long after the server is ready: up to about two replies. */
    private static final long KILL_WINDOW_MILLIS = 2_500;
    /** Some kills land while the server starts (and recovers the reply cut short by the previous kill). */
    private static final int STARTUP_KILL_PERCENT = 15;

    private static final Duration READY = Duration.ofSeconds(60);
    private static final Duration EVENT = Duration.ofSeconds(30);
    private static final Duration EXIT = Duration.ofSeconds(30);

    /** Every message has this many characters and words, so every reply is the same offline text. */
    private static final String MESSAGE_FORMAT = "cycle %03d turn %02d";

    @TempDir
    Path dataDir;

    private final List<ServerProcess> started = new ArrayList<>();
    private final ScheduledExecutorService killer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void cleanUp() throws InterruptedException {
        killer.shutdownNow();
        for (ServerProcess server : started) {
            server.close();
        }
    }

    private ServerProcess serve(Duration pause) throws IOException {
        ServerProcess server = ServerProcess.serve(dataDir, pause);
        started.add(server);
        return server;
    }

    private static String fullReply() {
        String message = String.format(MESSAGE_FORMAT, 0, 0);
        return new ClasspathPromptCatalog().render(PromptNames.OFFLINE_REPLY, Map.of(
                "characters", Integer.toString(message.codePointCount(0, message.length())),
                "words", Integer.toString(message.trim().split("\\s+").length)));
    }

    // --- SIGKILL at random moments -----------------------------------------------------------------

    @Test
    void every_acknowledged_item_survives_sigkill_at_random_moments() throws Exception {
        long seed = Long.getLong("companion.crash.seed", System.nanoTime());
        System.out.println("ServerCrashTest seed: " + seed + " (repeat with -Dcompanion.crash.seed=" + seed + ")");
        Random random = new Random(seed);
        Ledger ledger = new Ledger(fullReply());
        long startupMillis = 1_500;
        long began = System.nanoTime();
        int cycle = 0;
        try {
            for (; cycle < CYCLES; cycle++) {
                ServerProcess server = serve(PAUSE);
                if (cycle > 0 && random.nextInt(100) < STARTUP_KILL_PERCENT) {
                    // Measured from launch, so the kill may land before, during or just after recovery.
                    long delay = (long) (random.nextDouble() * startupMillis * 1.2);
                    killer.schedule(server::kill, delay, TimeUnit.MILLISECONDS);
                    server.awaitExit(EXIT);
                    ledger.stats.startupKills++;
                    continue;
                }
                URI base = server.awaitBaseUri(READY)
                        .orElseThrow(() -> new AssertionError("the server did not start: " + server.output()));
                startupMillis = server.ageMillis();
                CompanionClient client = new CompanionClient(base);
                ledger.verifyAfterRestart(client.transcript(), "SIGKILL");
                try (Events events = client.follow()) {
                    assertThat(events.awaitOpen(EVENT)).as("the event stream opens").isTrue();
                    killer.schedule(server::kill, random.nextLong(KILL_WINDOW_MILLIS), TimeUnit.MILLISECONDS);
                    converseUntilKilled(client, events, random, cycle, ledger);
                }
                assertThat(server.awaitExit(EXIT)).as("killed by SIGKILL").isEqualTo(137);
            }
            // One last start, left alone: what the last kill left must be whole too.
            ServerProcess last = serve(PAUSE);
            URI base = last.awaitBaseUri(READY).orElseThrow();
            ledger.verifyAfterRestart(new CompanionClient(base).transcript(), "SIGKILL");
        } catch (AssertionError | Exception e) {
            throw new AssertionError("seed " + seed + ", cycle " + cycle + ": " + e.getMessage(), e);
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began);
        System.out.println("ServerCrashTest: " + CYCLES + " kill cycles in " + seconds + " s; " + ledger.stats);
        // The experiment must have hit replies mid-stream, or it proved nothing about them.
        assertThat(ledger.stats.interruptedRecovered).as("replies recovered as interrupted").isGreaterThanOrEqualTo(3);
    }

    /** Sends messages one after another, following their replies, until the kill ends the process. */
    private static void converseUntilKilled(CompanionClient client, Events events, Random random, int cycle,
                                            Ledger ledger) throws InterruptedException {
        for (int turn = 0; ; turn++) {
            InFlight sent = ledger.sending(String.format(MESSAGE_FORMAT, cycle, turn));
            boolean waitForReply = random.nextInt(3) == 0;
            Answer answer;
            try {
                answer = client.send(sent.content, waitForReply);
            } catch (IOException killed) {
                followTurn(events, sent, ledger);
                return;
            }
            if (waitForReply) {
                assertThat(answer.status()).as("wait=true answer %s", answer).isEqualTo(200);
                assertThat(answer.body().get("outcome").asText()).isEqualTo("completed");
                ledger.acknowledge(Item.of(answer.body().get("item")), sent);
                ledger.acknowledge(Item.of(answer.body().get("reply")), sent);
            } else {
                assertThat(answer.status()).as("answer %s", answer).isEqualTo(202);
                assertThat(answer.body().get("state").asText()).isEqualTo("accepted");
                ledger.acknowledge(Item.of(answer.body().get("item")), sent);
            }
            if (!followTurn(events, sent, ledger)) {
                return;
            }
        }
    }

    /** Reads events until {@code sent}'s turn ends (true) or the stream does (false). */
    private static boolean followTurn(Events events, InFlight sent, Ledger ledger) throws InterruptedException {
        while (true) {
            JsonNode event = events.next(EVENT)
                    .orElseThrow(() -> new AssertionError("no event within " + EVENT + " for " + sent.content));
            if (event == CompanionClient.END) {
                return false;
            }
            String type = event.get("type").asText();
            JsonNode turnId = event.get("turn_id");
            switch (type) {
                case "turn_started" -> {
                    Item user = Item.of(event.get("item"));
                    assertThat(user.content()).as("the turn started is the one sent").isEqualTo(sent.content);
                    // Published after the user item was forced: a client seeing it may rely on it.
                    ledger.acknowledge(user, sent);
                }
                case "text_delta" -> {
                    assertThat(turnId.asText()).isEqualTo(sent.turnId);
                    sent.seen.append(event.get("text").asText());
                }
                case "turn_completed", "turn_failed", "turn_cancelled", "turn_timed_out" -> {
                    assertThat(turnId.asText()).isEqualTo(sent.turnId);
                    assertThat(type).as("how the turn ended: %s", event).isEqualTo("turn_completed");
                    ledger.acknowledge(Item.of(event.get("reply")), sent);
                    sent.ended = true;
                    return true;
                }
                default -> {
                    // state_changed, reset: nothing to record
                }
            }
        }
    }

    // --- SIGTERM --------------------------------------------------------------------------------------

    @Test
    void a_graceful_stop_mid_reply_keeps_the_partial_reply_as_interrupted() throws Exception {
        String fullReply = fullReply();
        // Slow: the reply is still streaming long after the stop has run.
        ServerProcess server = serve(Duration.ofMillis(200));
        URI base = server.awaitBaseUri(READY).orElseThrow(() -> new AssertionError(server.output()));
        CompanionClient client = new CompanionClient(base);
        InFlight sent = new InFlight(String.format(MESSAGE_FORMAT, 0, 0));
        Item user;
        try (Events events = client.follow()) {
            assertThat(events.awaitOpen(EVENT)).isTrue();
            Answer answer = client.send(sent.content, false);
            assertThat(answer.status()).isEqualTo(202);
            user = Item.of(answer.body().get("item"));
            sent.turnId = user.turnId();
            int deltas = 0;
            while (deltas < 3) {
                JsonNode event = events.next(EVENT).orElseThrow(() -> new AssertionError("no reply streamed"));
                assertThat(event).isNotSameAs(CompanionClient.END);
                if (event.get("type").asText().equals("text_delta")) {
                    sent.seen.append(event.get("text").asText());
                    deltas++;
                }
            }
            server.stop();
            for (JsonNode event = events.next(EVENT).orElseThrow(); event != CompanionClient.END;
                 event = events.next(EVENT).orElseThrow()) {
                if (event.get("type").asText().equals("text_delta")) {
                    sent.seen.append(event.get("text").asText());
                }
            }
        }
        server.awaitExit(EXIT);
        assertThat(server.stderrLines()).as("a stop prints no stack trace")
                .noneMatch(line -> line.contains("Exception") || line.startsWith("\tat "));

        ServerProcess again = serve(PAUSE);
        List<Item> transcript = new CompanionClient(again.awaitBaseUri(READY).orElseThrow()).transcript();
        assertThat(transcript).hasSize(2);
        assertThat(transcript.get(0)).isEqualTo(user);
        Item reply = transcript.get(1);
        assertThat(reply.turnId()).isEqualTo(user.turnId());
        assertThat(reply.role()).isEqualTo("assistant");
        assertThat(reply.status()).isEqualTo("interrupted");
        assertThat(reply.source()).as("stored by the stopping runtime, not recovered").isEqualTo("offline");
        // The stop stores everything the model produced, which is at least what reached the client.
        assertThat(reply.content()).startsWith(sent.seen.toString());
        assertThat(fullReply).startsWith(reply.content());
        assertThat(reply.content().length()).isLessThan(fullReply.length());
    }

    // --- one server per data directory ----------------------------------------------------------------

    @Test
    void a_second_server_on_the_same_data_directory_is_refused() throws Exception {
        ServerProcess first = serve(PAUSE);
        URI base = first.awaitBaseUri(READY).orElseThrow(() -> new AssertionError(first.output()));

        ServerProcess second = serve(PAUSE);
        assertThat(second.awaitBaseUri(READY)).as("the second server never listens").isEmpty();
        assertThat(second.awaitExit(EXIT)).as("exit code for a locked data directory").isEqualTo(7);
        List<String> errors = second.stderrLines();
        assertThat(errors).as("stderr").isNotEmpty();
        assertThat(errors.get(0)).startsWith("error: ").contains("data directory").endsWith("(data_directory_locked)");
        assertThat(errors).as("one error line and one hint, no stack trace").hasSize(2);
        assertThat(errors.get(1)).startsWith("hint: ");
        assertThat(String.join("\n", errors)).doesNotContain(dataDir.toString());

        // The first one is unharmed.
        Answer status = new CompanionClient(base).get("/api/companion/status");
        assertThat(status.status()).isEqualTo(200);
        assertThat(status.body().get("state").asText()).isEqualTo("ready");
    }

    // --- the client's record of what it saw ---------------------------------------------------------

    /** The turn a client is sending or following: what it saw of it. */
    private static final class InFlight {
        final String content;
        String turnId;
        boolean userAcknowledged;
        boolean ended;
        final StringBuilder seen = new StringBuilder();

        InFlight(String content) {
            this.content = content;
        }
    }

    private static final class Stats {
        int startupKills;
        int killedBeforeAcknowledgement;
        int killedBeforeAnyText;
        int killedMidReply;
        int interruptedRecovered;
        int recoveredShorterThanSeen;
        int recoveredAsSeen;
        int recoveredLongerThanSeen;
        int acknowledgedItems;

        @Override
        public String toString() {
            return "kills at startup " + startupKills + ", between a turn's end and the next 202 "
                    + killedBeforeAcknowledgement + ", before any reply text " + killedBeforeAnyText
                    + ", mid-reply " + killedMidReply + "; interrupted replies recovered "
                    + interruptedRecovered + " (shorter than seen " + recoveredShorterThanSeen + ", as seen "
                    + recoveredAsSeen + ", longer " + recoveredLongerThanSeen + "); acknowledged items "
                    + acknowledgedItems;
        }
    }

    /** Every item the client may rely on, and the turn that was running when the server died. */
    private static final class Ledger {
        final String fullReply;
        final Map<Long, Item> known = new HashMap<>();
        final Stats stats = new Stats();
        InFlight last;

        Ledger(String fullReply) {
            this.fullReply = fullReply;
        }

        InFlight sending(String content) {
            last = new InFlight(content);
            return last;
        }

        void acknowledge(Item item, InFlight turn) {
            assertThat(item.content()).isNotNull();
            if (item.role().equals("user")) {
                assertThat(item.content()).isEqualTo(turn.content);
                turn.userAcknowledged = true;
            }
            if (turn.turnId == null) {
                turn.turnId = item.turnId();
            }
            assertThat(item.turnId()).as("turn of %s", item).isEqualTo(turn.turnId);
            Item before = known.putIfAbsent(item.sequence(), item);
            if (before == null) {
                stats.acknowledgedItems++;
            } else {
                assertThat(item).as("one sequence, one item").isEqualTo(before);
            }
        }

        /** Checks a transcript read after a restart, then takes all of it as known. */
        void verifyAfterRestart(List<Item> transcript, String how) {
            for (int i = 0; i < transcript.size(); i++) {
                assertThat(transcript.get(i).sequence()).as("consecutive sequences").isEqualTo(i);
            }
            for (Item item : known.values()) {
                assertThat(item.sequence()).as("acknowledged %s is still there", item)
                        .isLessThan(transcript.size());
                assertThat(transcript.get((int) item.sequence())).as("acknowledged item, after restart")
                        .isEqualTo(item);
            }
            assertThat(transcript.size() % 2).as("every turn closed: a user item and its reply").isZero();
            Set<String> turns = new HashSet<>();
            Set<String> messages = new HashSet<>();
            for (int i = 0; i < transcript.size(); i += 2) {
                Item user = transcript.get(i);
                Item reply = transcript.get(i + 1);
                assertThat(user.role()).isEqualTo("user");
                assertThat(reply.role()).isEqualTo("assistant");
                assertThat(reply.turnId()).as("the reply follows its message").isEqualTo(user.turnId());
                assertThat(turns.add(user.turnId())).as("no turn twice: %s", user).isTrue();
                assertThat(messages.add(user.content())).as("no message twice: %s", user).isTrue();
                assertThat(user.content()).matches("cycle \\d{3} turn \\d{2}");
                boolean isNew = !known.containsKey(user.sequence()) || !known.containsKey(reply.sequence());
                if (isNew) {
                    // Only the turn the kill hit may hold items no client saw acknowledged.
                    assertThat(last).as("unacknowledged items %s, %s", user, reply).isNotNull();
                    assertThat(user.content()).as("unacknowledged items belong to the turn the kill hit")
                            .isEqualTo(last.content);
                }
                switch (reply.status()) {
                    case "completed" -> {
                        assertThat(reply.content()).isEqualTo(fullReply);
                        assertThat(reply.source()).isEqualTo("offline");
                    }
                    case "interrupted" -> {
                        assertThat(fullReply).as("an interrupted reply is a prefix of the reply, never garbage")
                                .startsWith(reply.content());
                        if (how.equals("SIGKILL")) {
                            assertThat(reply.source()).isEqualTo("recovered");
                        }
                    }
                    default -> throw new AssertionError("unexpected reply status: " + reply);
                }
            }
            if (last != null) {
                accountFor(last, transcript);
            }
            known.clear();
            transcript.forEach(item -> known.put(item.sequence(), item));
            last = null;
        }

        /** What became of the turn running at the kill, counted so a run shows what it exercised. */
        private void accountFor(InFlight turn, List<Item> transcript) {
            assertThat(fullReply).as("the streamed text is the reply's beginning").startsWith(turn.seen.toString());
            if (turn.ended) {
                return; // the kill came before the next message was sent: nothing was running
            }
            if (!turn.userAcknowledged) {
                stats.killedBeforeAcknowledgement++;
            } else if (turn.seen.isEmpty()) {
                stats.killedBeforeAnyText++;
            } else {
                stats.killedMidReply++;
            }
            for (int i = 0; i < transcript.size(); i += 2) {
                if (!transcript.get(i).content().equals(turn.content)) {
                    continue;
                }
                Item reply = transcript.get(i + 1);
                if (!reply.status().equals("interrupted")) {
                    return; // it completed just before the kill; the event never reached the client
                }
                stats.interruptedRecovered++;
                String stored = reply.content();
                String seen = turn.seen.toString();
                // Progress is forced every half second, so the disk may hold less than the client saw;
                // and a delta may be written before its event reaches the client, so a little more.
                if (stored.length() < seen.length()) {
                    stats.recoveredShorterThanSeen++;
                } else if (stored.length() == seen.length()) {
                    stats.recoveredAsSeen++;
                } else {
                    stats.recoveredLongerThanSeen++;
                }
                return;
            }
            assertThat(turn.userAcknowledged).as("an acknowledged message is in the transcript").isFalse();
        }
    }
}
