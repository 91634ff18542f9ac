package dev.companion.store.postgres;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.TranscriptStore;
import dev.companion.core.port.TurnLeases;
import dev.companion.core.port.TurnLeases.Claim;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** One turn per conversation across servers on one database, decided by turn_leases. */
class PostgresTurnLeasesTest {

    @RegisterExtension
    static final PostgresDatabase DATABASE = PostgresDatabase.migrated();

    private static final Instant T0 = Instant.parse("2025-03-01T10:15:30Z");
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final Duration SHORT = Duration.ofSeconds(1);
    private static final TurnLeases.Holder NOT_LOST = () -> {
        throw new AssertionError("the lease was lost");
    };

    private static ConversationId freshId() {
        return new ConversationId("lease" + IDS.incrementAndGet());
    }

    private static TranscriptItem ask(TranscriptStore transcript, TurnId turn) {
        return transcript.append(new TranscriptEntry(Role.USER, "question", T0, "http", ItemStatus.ACCEPTED, turn));
    }

    @Test
    void a_second_server_is_busy_while_the_first_holds_the_turn_and_free_once_it_is_released() {
        ConversationId id = freshId();
        try (var a = PostgresConversationCatalog.open(DATABASE.settings());
             var b = PostgresConversationCatalog.open(DATABASE.settings())) {
            a.create(id, Optional.empty(), T0);
            TurnLeases onA = a.turnLeases(Duration.ofSeconds(15));
            TurnLeases onB = b.turnLeases(Duration.ofSeconds(15));
            TurnId first = TurnId.random();

            Claim claimed = onA.claim(id, first, NOT_LOST);
            assertThat(claimed).isInstanceOf(Claim.Granted.class);
            assertThat(onB.claim(id, TurnId.random(), NOT_LOST)).isEqualTo(new Claim.Busy(first));
            assertThat(onA.claim(id, TurnId.random(), NOT_LOST)).isEqualTo(new Claim.Busy(first));

            ((Claim.Granted) claimed).lease().release();
            Claim second = onB.claim(id, TurnId.random(), NOT_LOST);
            assertThat(second).isInstanceOf(Claim.Granted.class);
            assertThat(((Claim.Granted) second).reclaimed()).isEmpty();
            ((Claim.Granted) second).lease().release();
        }
    }

    @Test
    void a_held_lease_is_renewed_past_its_duration() throws Exception {
        ConversationId id = freshId();
        try (var a = PostgresConversationCatalog.open(DATABASE.settings());
             var b = PostgresConversationCatalog.open(DATABASE.settings())) {
            a.create(id, Optional.empty(), T0);
            TurnId turn = TurnId.random();
            Claim.Granted held = (Claim.Granted) a.turnLeases(SHORT).claim(id, turn, NOT_LOST);
            long renewalsSeen = waitForRenewals(id, 3);
            assertThat(renewalsSeen).isGreaterThanOrEqualTo(3);
            assertThat(b.turnLeases(SHORT).claim(id, TurnId.random(), NOT_LOST)).isEqualTo(new Claim.Busy(turn));
            assertThat(b.turnLeases(SHORT).reclaimExpired()).isEmpty();
            held.lease().release();
        }
    }

    @Test
    void a_held_lease_is_renewed_again_once_the_database_is_back_from_an_outage_shorter_than_the_lease()
            throws Exception {
        ConversationId id = freshId();
        Duration lease = Duration.ofSeconds(20);
        try (var a = PostgresConversationCatalog.open(DATABASE.settings());
             var b = PostgresConversationCatalog.open(DATABASE.settings())) {
            a.create(id, Optional.empty(), T0);
            TurnId turn = TurnId.random();
            Claim.Granted held = (Claim.Granted) a.turnLeases(lease).claim(id, turn, NOT_LOST);
            DATABASE.cluster().stop();
            DATABASE.cluster().start();
            assertThat(waitForRenewals(id, 1)).as("a renewal after the restart").isEqualTo(1);
            assertThat(b.turnLeases(lease).claim(id, TurnId.random(), NOT_LOST)).isEqualTo(new Claim.Busy(turn));
            held.lease().release();
        }
    }

    @Test
    void a_lease_released_while_the_database_is_away_is_given_back_once_it_returns_not_left_to_expire()
            throws Exception {
        ConversationId id = freshId();
        Duration lease = Duration.ofSeconds(30);
        try (var a = PostgresConversationCatalog.open(DATABASE.settings());
             var b = PostgresConversationCatalog.open(DATABASE.settings())) {
            a.create(id, Optional.empty(), T0);
            Claim.Granted held = (Claim.Granted) a.turnLeases(lease).claim(id, TurnId.random(), NOT_LOST);
            DATABASE.cluster().stop();
            try {
                org.assertj.core.api.Assertions.assertThatExceptionOfType(dev.companion.core.port.StorageException.class)
                        .isThrownBy(() -> held.lease().release());
            } finally {
                DATABASE.cluster().start();
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            Claim claim;
            do {
                try {
                    claim = b.turnLeases(lease).claim(id, TurnId.random(), NOT_LOST);
                } catch (dev.companion.core.port.StorageException reconnecting) {
                    claim = null;
                }
                if (!(claim instanceof Claim.Granted)) {
                    java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos()); // the poll's pace
                }
            } while (!(claim instanceof Claim.Granted) && System.nanoTime() < deadline);
            assertThat(claim).as("given back well before the 30 s lease ran out").isInstanceOf(Claim.Granted.class);
            assertThat(((Claim.Granted) claim).reclaimed()).as("released, not expired").isEmpty();
            ((Claim.Granted) claim).lease().release();
        }
    }

    /** Waits (with a deadline) until expires_at has moved forward {@code times} times. */
    private static long waitForRenewals(ConversationId id, int times) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Object last = null;
        long seen = 0;
        try (var connection = DATABASE.connect();
             var select = connection.prepareStatement("SELECT expires_at FROM turn_leases WHERE conversation_id = ?")) {
            select.setString(1, id.value());
            while (seen < times && System.nanoTime() < deadline) {
                try (var row = select.executeQuery()) {
                    assertThat(row.next()).isTrue();
                    Object expires = row.getObject(1);
                    if (last != null && !expires.equals(last)) {
                        seen++;
                    }
                    last = expires;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // the poll's pace
            }
        }
        return seen;
    }

    @Test
    void a_dead_servers_turn_is_reclaimed_as_interrupted_with_its_stored_text_by_the_next_claim() throws Exception {
        ConversationId id = freshId();
        TurnId dead = TurnId.random();
        try (var b = PostgresConversationCatalog.open(DATABASE.settings())) {
            var a = PostgresConversationCatalog.open(DATABASE.settings());
            a.create(id, Optional.empty(), T0);
            TranscriptStore onA = a.transcript(id);
            a.turnLeases(SHORT).claim(id, dead, () -> { });
            ask(onA, dead);
            onA.recordReplyProgress(dead, "half an ans");
            a.close(); // writes pending progress, stops renewing, never releases: a server that died

            // Opening the conversation elsewhere leaves a leased turn alone, expired or not.
            TranscriptStore onB = b.transcript(id);
            assertThat(onB.size()).isEqualTo(1);

            TurnLeases leases = b.turnLeases(SHORT);
            Claim claim = awaitGranted(leases, id);
            assertThat(((Claim.Granted) claim).reclaimed()).singleElement().satisfies(reclaimed -> {
                assertThat(reclaimed.turn()).isEqualTo(dead);
                assertThat(reclaimed.reply()).hasValueSatisfying(reply -> {
                    assertThat(reply.content()).isEqualTo("half an ans");
                    assertThat(reply.status()).isEqualTo(ItemStatus.INTERRUPTED);
                    assertThat(reply.turnId()).isEqualTo(dead);
                });
            });
            List<TranscriptItem> items = onB.read(0, 10);
            assertThat(items).extracting(TranscriptItem::status)
                    .containsExactly(ItemStatus.ACCEPTED, ItemStatus.INTERRUPTED);
            ((Claim.Granted) claim).lease().release();
        }
    }

    @Test
    void the_sweep_reclaims_an_expired_lease_once_and_a_reply_already_stored_is_not_doubled() throws Exception {
        ConversationId interrupted = freshId();
        ConversationId answered = freshId();
        TurnId cut = TurnId.random();
        TurnId done = TurnId.random();
        try (var b = PostgresConversationCatalog.open(DATABASE.settings());
             var c = PostgresConversationCatalog.open(DATABASE.settings())) {
            var a = PostgresConversationCatalog.open(DATABASE.settings());
            a.create(interrupted, Optional.empty(), T0);
            a.create(answered, Optional.empty(), T0);
            a.turnLeases(SHORT).claim(interrupted, cut, () -> { });
            a.turnLeases(SHORT).claim(answered, done, () -> { });
            ask(a.transcript(interrupted), cut);
            a.transcript(interrupted).recordReplyProgress(cut, "partial");
            ask(a.transcript(answered), done);
            a.transcript(answered).append(new TranscriptEntry(Role.ASSISTANT, "whole", T0, "offline",
                    ItemStatus.COMPLETED, done));
            a.close();

            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            List<TurnLeases.ReclaimedTurn> swept = List.of();
            while (swept.size() < 2 && System.nanoTime() < deadline) {
                swept = new java.util.ArrayList<>(swept);
                swept.addAll(b.turnLeases(SHORT).reclaimExpired());
                swept.addAll(c.turnLeases(SHORT).reclaimExpired());
            }
            assertThat(swept).extracting(TurnLeases.ReclaimedTurn::turn).containsExactlyInAnyOrder(cut, done);
            assertThat(swept).filteredOn(r -> r.turn().equals(done)).singleElement()
                    .satisfies(r -> assertThat(r.reply()).isEmpty());
            assertThat(b.transcript(interrupted).read(0, 10)).extracting(TranscriptItem::content)
                    .containsExactly("question", "partial");
            assertThat(b.transcript(answered).read(0, 10)).extracting(TranscriptItem::content)
                    .containsExactly("question", "whole");
        }
    }

    private static Claim awaitGranted(TurnLeases leases, ConversationId id) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            Claim claim = leases.claim(id, TurnId.random(), () -> { });
            if (claim instanceof Claim.Granted || System.nanoTime() > deadline) {
                return claim;
            }
        }
    }
}
