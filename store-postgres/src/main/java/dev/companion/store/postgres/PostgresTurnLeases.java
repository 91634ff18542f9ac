package dev.companion.store.postgres;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ConversationNotFoundException;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.StorageException;
import dev.companion.core.port.TurnLeases;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turn leases in the table {@code turn_leases} (migration V2): one row per conversation with a
 * running turn, claimed by an insert, renewed every third of the lease while held, deleted on
 * release. A row whose lease has run out belongs to a server that died; the next claim on that
 * conversation, or the sweep, keeps that turn's stored text as an interrupted reply and takes or
 * deletes the row, in one transaction, so two servers never both reclaim it.
 */
final class PostgresTurnLeases implements TurnLeases, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PostgresTurnLeases.class.getName());

    private static final String INSERT = """
            INSERT INTO turn_leases (conversation_id, turn_id, node_id, expires_at)
            VALUES (?, ?, ?, clock_timestamp() + ? * interval '1 millisecond')
            ON CONFLICT (conversation_id) DO NOTHING
            """;
    private static final String HOLDER = """
            SELECT turn_id, expires_at <= clock_timestamp() AS expired FROM turn_leases
             WHERE conversation_id = ? FOR UPDATE
            """;
    private static final String TAKE_OVER = """
            UPDATE turn_leases SET turn_id = ?, node_id = ?, claimed_at = clock_timestamp(), cancel_requested = false,
                   expires_at = clock_timestamp() + ? * interval '1 millisecond'
             WHERE conversation_id = ?
            """;
    private static final String RENEW = """
            UPDATE turn_leases SET expires_at = clock_timestamp() + ? * interval '1 millisecond'
             WHERE conversation_id = ? AND turn_id = ? AND node_id = ?
            RETURNING cancel_requested
            """;
    /** Marks the turn's lease and wakes every server (the holder renews at once and sees the mark). */
    private static final String REQUEST_CANCEL = """
            WITH asked AS (
                UPDATE turn_leases SET cancel_requested = true
                 WHERE conversation_id = ? AND turn_id = ? AND expires_at > clock_timestamp()
                RETURNING conversation_id
            )
            SELECT pg_notify('companion_turns', conversation_id) FROM asked
            """;
    private static final String RELEASE = "DELETE FROM turn_leases WHERE conversation_id = ? AND turn_id = ? AND node_id = ?";
    private static final String EXPIRED = """
            SELECT conversation_id, turn_id FROM turn_leases WHERE expires_at <= clock_timestamp()
             ORDER BY expires_at LIMIT 100
            """;
    private static final String TAKE_EXPIRED = """
            DELETE FROM turn_leases WHERE conversation_id = ? AND turn_id = ? AND expires_at <= clock_timestamp()
            """;

    private final Database database;
    private final Clock clock;
    private final Duration ttl;
    private final String node = UUID.randomUUID().toString();
    private final ScheduledThreadPoolExecutor heartbeats;
    /** The leases this server holds now. */
    private final java.util.concurrent.ConcurrentMap<Held, Boolean> held = new java.util.concurrent.ConcurrentHashMap<>();
    /** The channel on which a server asking for a cancel wakes the others. */
    static final String TURNS_CHANNEL = "companion_turns";

    PostgresTurnLeases(Database database, Clock clock, Duration ttl) {
        this.database = database;
        this.clock = clock;
        this.ttl = ttl;
        this.heartbeats = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "companion-turn-lease");
            thread.setDaemon(true);
            return thread;
        });
        heartbeats.setRemoveOnCancelPolicy(true);
    }

    Duration lease() {
        return ttl;
    }

    String node() {
        return node;
    }

    @Override
    public Claim claim(ConversationId conversation, TurnId turn, Holder claimant) {
        List<ReclaimedTurn> reclaimed = new ArrayList<>(1);
        Optional<TurnId> busy = database.transaction(connection -> {
            reclaimed.clear();
            try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
                insert.setString(1, conversation.value());
                insert.setString(2, turn.value());
                insert.setString(3, node);
                insert.setLong(4, ttl.toMillis());
                if (insert.executeUpdate() == 1) {
                    return Optional.empty();
                }
            } catch (SQLException e) {
                if ("23503".equals(e.getSQLState())) {
                    throw new ConversationNotFoundException(conversation); // another server deleted it
                }
                throw e;
            }
            TurnId holder;
            boolean expired;
            try (PreparedStatement select = connection.prepareStatement(HOLDER)) {
                select.setString(1, conversation.value());
                try (ResultSet row = select.executeQuery()) {
                    if (!row.next()) {
                        // Released between the insert and the look: the next claim finds it free.
                        return Optional.of(turn);
                    }
                    holder = new TurnId(row.getString("turn_id"));
                    expired = row.getBoolean("expired");
                }
            }
            if (!expired) {
                return Optional.of(holder);
            }
            PostgresTranscriptStore.interruptTurn(connection, conversation, holder, clock.instant())
                    .ifPresentOrElse(reply -> reclaimed.add(new ReclaimedTurn(conversation, holder, Optional.of(reply))),
                            () -> reclaimed.add(new ReclaimedTurn(conversation, holder, Optional.empty())));
            try (PreparedStatement take = connection.prepareStatement(TAKE_OVER)) {
                take.setString(1, turn.value());
                take.setString(2, node);
                take.setLong(3, ttl.toMillis());
                take.setString(4, conversation.value());
                take.executeUpdate();
            }
            return Optional.empty();
        });
        if (busy.isPresent()) {
            if (busy.get().equals(turn)) {
                return claim(conversation, turn, claimant);
            }
            return new Claim.Busy(busy.get());
        }
        Held lease = new Held(conversation, turn, claimant);
        lease.start();
        return new Claim.Granted(lease, reclaimed);
    }

    /** A lease this server holds, renewed until released or lost. */
    private final class Held implements Lease {
        private final ConversationId conversation;
        private final TurnId turn;
        private final Holder holder;
        private final AtomicBoolean over = new AtomicBoolean();
        private final AtomicBoolean cancelAsked = new AtomicBoolean();
        private volatile ScheduledFuture<?> heartbeat;
        private volatile long renewedNanos = System.nanoTime();

        Held(ConversationId conversation, TurnId turn, Holder holder) {
            this.conversation = conversation;
            this.turn = turn;
            this.holder = holder;
        }

        void start() {
            long every = Math.max(1, ttl.toMillis() / 3);
            held.put(this, Boolean.TRUE);
            heartbeat = heartbeats.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
        }

        /** Renews now, off the caller's thread: another server may have asked for a cancel. */
        void renewSoon() {
            try {
                heartbeats.execute(this::renew);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // closing: nothing more to renew
            }
        }

        private void renew() {
            if (over.get()) {
                return;
            }
            try {
                Optional<Boolean> renewed = database.write(connection -> {
                    try (PreparedStatement update = connection.prepareStatement(RENEW)) {
                        update.setLong(1, ttl.toMillis());
                        update.setString(2, conversation.value());
                        update.setString(3, turn.value());
                        update.setString(4, node);
                        try (ResultSet row = update.executeQuery()) {
                            return row.next() ? Optional.of(row.getBoolean(1)) : Optional.<Boolean>empty();
                        }
                    }
                });
                if (renewed.isPresent()) {
                    renewedNanos = System.nanoTime();
                    if (renewed.get() && cancelAsked.compareAndSet(false, true)) {
                        try {
                            holder.cancelRequested();
                        } catch (RuntimeException e) {
                            LOG.log(Level.WARNING, "cancelling a turn another server asked to stop failed", e);
                        }
                    }
                    return;
                }
                LOG.log(Level.WARNING, "a turn lease was taken by another server while this one held it");
            } catch (StorageException e) {
                if (System.nanoTime() - renewedNanos < ttl.toNanos()) {
                    return; // tried again at the next beat, while the lease still stands
                }
                LOG.log(Level.WARNING, "a turn lease could not be renewed before it ran out");
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "a turn lease could not be renewed", e);
                return;
            }
            if (over.compareAndSet(false, true)) {
                heartbeat.cancel(false);
                held.remove(this);
                try {
                    holder.lost();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "ending a turn whose lease was lost failed", e);
                }
            }
        }

        @Override
        public void release() {
            if (!over.compareAndSet(false, true)) {
                return;
            }
            heartbeat.cancel(false);
            held.remove(this);
            try {
                delete();
            } catch (StorageException e) {
                // The database is away: give the conversation back once it answers, rather than leave
                // it busy until the lease runs out. Past that, it has expired anyway.
                retryRelease(Math.max(100, ttl.toMillis() / 6));
                throw e;
            }
        }

        private void delete() {
            database.write(connection -> {
                try (PreparedStatement delete = connection.prepareStatement(RELEASE)) {
                    delete.setString(1, conversation.value());
                    delete.setString(2, turn.value());
                    delete.setString(3, node);
                    return delete.executeUpdate();
                }
            });
        }

        private void retryRelease(long afterMillis) {
            if (System.nanoTime() - renewedNanos >= ttl.toNanos() || heartbeats.isShutdown()) {
                return;
            }
            try {
                heartbeats.schedule(() -> {
                    try {
                        delete();
                    } catch (StorageException e) {
                        retryRelease(afterMillis);
                    } catch (RuntimeException e) {
                        LOG.log(Level.FINE, "a turn lease was not given back; it runs out by itself", e);
                    }
                }, afterMillis, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // the catalogue is closing: the lease runs out by itself
            }
        }
    }

    @Override
    public boolean requestCancel(ConversationId conversation, TurnId turn) {
        return database.write(connection -> {
            try (PreparedStatement ask = connection.prepareStatement(REQUEST_CANCEL)) {
                ask.setString(1, conversation.value());
                ask.setString(2, turn.value());
                try (ResultSet row = ask.executeQuery()) {
                    return row.next();
                }
            }
        });
    }

    /** Another server asked for a cancel: every lease held here is renewed at once, and sees whether it is meant. */
    void renewAllSoon() {
        held.keySet().forEach(Held::renewSoon);
    }

    @Override
    public Optional<TurnId> holder(ConversationId conversation) {
        return database.read(connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT turn_id FROM turn_leases WHERE conversation_id = ? AND expires_at > clock_timestamp()")) {
                select.setString(1, conversation.value());
                try (ResultSet row = select.executeQuery()) {
                    return row.next() ? Optional.of(new TurnId(row.getString(1))) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<ReclaimedTurn> reclaimExpired() {
        List<String[]> expired = database.read(connection -> {
            List<String[]> found = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(EXPIRED);
                 ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    found.add(new String[] {rows.getString(1), rows.getString(2)});
                }
            }
            return found;
        });
        List<ReclaimedTurn> reclaimed = new ArrayList<>();
        for (String[] lease : expired) {
            ConversationId conversation = new ConversationId(lease[0]);
            TurnId turn = new TurnId(lease[1]);
            Optional<ReclaimedTurn> ended = database.transaction(connection -> reclaim(connection, conversation, turn));
            ended.ifPresent(reclaimed::add);
        }
        return reclaimed;
    }

    private Optional<ReclaimedTurn> reclaim(Connection connection, ConversationId conversation, TurnId turn)
            throws SQLException {
        try (PreparedStatement take = connection.prepareStatement(TAKE_EXPIRED)) {
            take.setString(1, conversation.value());
            take.setString(2, turn.value());
            if (take.executeUpdate() == 0) {
                return Optional.empty(); // renewed, released or reclaimed by another server meanwhile
            }
        }
        Optional<TranscriptItem> reply = PostgresTranscriptStore.interruptTurn(connection, conversation, turn,
                clock.instant());
        return Optional.of(new ReclaimedTurn(conversation, turn, reply));
    }

    @Override
    public Optional<Duration> sweepInterval() {
        // Often enough that a dead server's conversation is free soon after its lease ends; the query is one index probe.
        Duration fifth = ttl.dividedBy(5);
        return Optional.of(fifth.compareTo(Duration.ofMillis(200)) < 0 ? Duration.ofMillis(200) : fifth);
    }

    @Override
    public void close() {
        heartbeats.shutdownNow();
    }
}
