package dev.companion.app.nodes;

import dev.companion.core.Companion;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.CancellationSignal;
import dev.companion.core.port.ConversationCatalog;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.TextSink;
import dev.companion.core.port.TranscriptStore;
import dev.companion.prompts.ClasspathPromptCatalog;
import dev.companion.runtime.CompanionRuntime;
import dev.companion.store.journal.JournalConversationCatalog;
import dev.companion.store.postgres.PostgresConversationCatalog;
import dev.companion.store.postgres.PostgresDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The figures the issue asks for, printed ({@code [measure] ...}) and never asserted: appends per
 * second to PostgreSQL against the journal on this machine, how long a delta takes to reach a reader
 * on another runtime, and how long a dead runtime's conversation stays unusable with the default
 * lease. The assertions only check that what was measured happened. Tagged {@code measurement}: not
 * part of {@code ./mvnw -B verify} (the behaviour is proved by the two-node tests); run it with
 * {@code ./mvnw -B verify -pl companion-app -am -Pmeasure -Dtest=MultiNodeMeasurementsTest
 * -Dsurefire.failIfNoSpecifiedTests=false}, as BENCHMARKS.md says.
 */
@Tag("measurement")
class MultiNodeMeasurementsTest {

    @RegisterExtension
    static final PostgresDatabase DATABASE = PostgresDatabase.migrated();

    private static final int WRITERS = 8;
    private static final Duration WARM_UP = Duration.ofSeconds(1);
    private static final Duration MEASURE = Duration.ofSeconds(3);

    @TempDir
    Path temp;

    private final ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();

    @Test
    void appends_per_second_postgresql_and_journal() throws Exception {
        double journal;
        try (JournalConversationCatalog catalog = JournalConversationCatalog.open(temp.resolve("journal"),
                JournalConversationCatalog.Options.defaults())) {
            journal = appendsPerSecond(catalog);
        }
        // The test cluster runs with fsync off; measure PostgreSQL as it runs in production: durable commits.
        DATABASE.execute("ALTER SYSTEM SET fsync = on");
        DATABASE.execute("ALTER SYSTEM SET synchronous_commit = on");
        DATABASE.execute("ALTER SYSTEM SET full_page_writes = on");
        DATABASE.execute("SELECT pg_reload_conf()");
        double durable;
        try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(DATABASE.settings())) {
            durable = appendsPerSecond(catalog);
        } finally {
            DATABASE.execute("ALTER SYSTEM RESET fsync");
            DATABASE.execute("ALTER SYSTEM RESET synchronous_commit");
            DATABASE.execute("ALTER SYSTEM RESET full_page_writes");
            DATABASE.execute("SELECT pg_reload_conf()");
        }
        double unsynced;
        try (PostgresConversationCatalog catalog = PostgresConversationCatalog.open(DATABASE.settings())) {
            unsynced = appendsPerSecond(catalog);
        }
        System.out.printf("[measure] appends/s, %d writers on one conversation, %d s: journal (group commit) %.0f; "
                        + "PostgreSQL 15 local, fsync on %.0f; PostgreSQL, fsync off (the test cluster) %.0f%n",
                WRITERS, MEASURE.toSeconds(), journal, durable, unsynced);
        assertThat(journal).isPositive();
        assertThat(durable).isPositive();
    }

    /** Appends from {@link #WRITERS} threads to one conversation: a warm-up, then a measured span. */
    private static double appendsPerSecond(ConversationCatalog catalog) throws Exception {
        ConversationId id = ConversationId.random();
        catalog.create(id, Optional.empty(), Instant.now());
        TranscriptStore transcript = catalog.transcript(id);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong counted = new AtomicLong();
        AtomicBoolean counting = new AtomicBoolean();
        ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                running.add(writers.submit(() -> {
                    TurnId turn = TurnId.random();
                    while (!stop.get()) {
                        transcript.append(new TranscriptEntry(Role.USER, "a message of a typical length, a sentence or two "
                                + "long, as a person writes it", Instant.now(), "bench", ItemStatus.ACCEPTED, turn));
                        if (counting.get()) {
                            counted.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            CountDownLatch never = new CountDownLatch(1);
            never.await(WARM_UP.toMillis(), TimeUnit.MILLISECONDS); // the warm-up's length, not a synchronisation
            counting.set(true);
            long start = System.nanoTime();
            never.await(MEASURE.toMillis(), TimeUnit.MILLISECONDS);
            long count = counted.get();
            double seconds = (System.nanoTime() - start) / 1e9;
            stop.set(true);
            for (Future<?> writer : running) {
                writer.get(30, TimeUnit.SECONDS);
            }
            assertThat(transcript.size()).isGreaterThanOrEqualTo(count);
            return count / seconds;
        } finally {
            writers.shutdownNow();
        }
    }

    /** A model writing {@code pieces} deltas, one every {@code every}, noting when each was written. */
    static final class TimedModel implements LanguageModel {
        final ConcurrentHashMap<String, Long> writtenAt = new ConcurrentHashMap<>();
        private final int pieces;
        private final Duration every;

        TimedModel(int pieces, Duration every) {
            this.pieces = pieces;
            this.every = every;
        }

        @Override
        public ProviderInfo provider() {
            return new ProviderInfo("timed", "timed-1", true, Optional.empty(), Optional.empty());
        }

        @Override
        public ModelResult stream(ModelRequest request, TextSink sink, CancellationSignal cancellation) {
            for (int i = 0; i < pieces && !cancellation.isCancelled(); i++) {
                String piece = "<" + i + ">";
                writtenAt.put(piece, System.nanoTime());
                sink.accept(piece);
                java.util.concurrent.locks.LockSupport.parkNanos(every.toNanos()); // the model's pace
            }
            return ModelResult.finished("stop");
        }
    }

    @Test
    void how_long_a_delta_takes_to_reach_a_reader_on_the_other_runtime() throws Exception {
        int pieces = 1000;
        TimedModel model = new TimedModel(pieces, Duration.ofMillis(3));
        List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch ended = new CountDownLatch(1);
        try (PostgresConversationCatalog catalogA = PostgresConversationCatalog.open(DATABASE.settings());
             PostgresConversationCatalog catalogB = PostgresConversationCatalog.open(DATABASE.settings());
             CompanionRuntime a = node(catalogA, model, PostgresConversationCatalog.DEFAULT_TURN_LEASE);
             CompanionRuntime b = node(catalogB, new TimedModel(0, Duration.ZERO), PostgresConversationCatalog.DEFAULT_TURN_LEASE)) {
            Companion onB = b.companion();
            try (Subscription ignored = onB.subscribe(onB.latestCursor(), new EventListener() {
                @Override
                public void onEvent(CompanionEvent event) {
                    if (event instanceof CompanionEvent.TextDelta delta) {
                        latencies.add(System.nanoTime() - model.writtenAt.get(delta.text()));
                    } else if (event instanceof CompanionEvent.TurnEnded) {
                        ended.countDown();
                    }
                }
            })) {
                SendResult sent = a.companion().send(SendMessageCommand.of("go"));
                assertThat(sent).isInstanceOf(SendResult.Accepted.class);
                assertThat(ended.await(120, TimeUnit.SECONDS)).isTrue();
            }
        }
        assertThat(latencies).hasSize(pieces);
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf("[measure] a delta written on runtime A reaches a reader on runtime B (one PostgreSQL, "
                        + "NOTIFY wake-up): p50 %.2f ms, p99 %.2f ms, max %.2f ms over %d deltas%n",
                percentile(sorted, 50) / 1e6, percentile(sorted, 99) / 1e6, sorted[sorted.length - 1] / 1e6, sorted.length);
    }

    private static long percentile(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    @Test
    void how_long_a_dead_runtimes_conversation_stays_unusable_with_the_default_lease() throws Exception {
        TimedModel endless = new TimedModel(Integer.MAX_VALUE, Duration.ofMillis(20));
        PostgresConversationCatalog catalogA = PostgresConversationCatalog.open(DATABASE.settings());
        CompanionRuntime a = node(catalogA, endless, PostgresConversationCatalog.DEFAULT_TURN_LEASE);
        try (PostgresConversationCatalog catalogB = PostgresConversationCatalog.open(DATABASE.settings());
             CompanionRuntime b = node(catalogB, new TimedModel(1, Duration.ZERO), PostgresConversationCatalog.DEFAULT_TURN_LEASE)) {
            Companion onB = b.companion();
            CountDownLatch interrupted = new CountDownLatch(1);
            CountDownLatch streaming = new CountDownLatch(1);
            try (Subscription ignored = onB.subscribe(onB.latestCursor(), new EventListener() {
                @Override
                public void onEvent(CompanionEvent event) {
                    if (event instanceof CompanionEvent.TextDelta) {
                        streaming.countDown();
                    } else if (event instanceof CompanionEvent.TurnEnded) {
                        interrupted.countDown();
                    }
                }
            })) {
                assertThat(a.companion().send(SendMessageCommand.of("talk forever"))).isInstanceOf(SendResult.Accepted.class);
                assertThat(streaming.await(30, TimeUnit.SECONDS)).isTrue();
                catalogA.close(); // as a death: no more renewals, no release, nothing more written
                long died = System.nanoTime();
                assertThat(interrupted.await(60, TimeUnit.SECONDS)).isTrue();
                long noticed = System.nanoTime() - died;
                SendResult again = onB.send(SendMessageCommand.of("are you there?"));
                long usable = System.nanoTime() - died;
                assertThat(again).isInstanceOf(SendResult.Accepted.class);
                System.out.printf("[measure] a runtime dies mid-reply (lease %d s): the other ends its turn as "
                                + "interrupted after %.1f s and accepts a send after %.1f s%n",
                        PostgresConversationCatalog.DEFAULT_TURN_LEASE.toSeconds(), noticed / 1e9, usable / 1e9);
            }
        } finally {
            a.close();
        }
    }

    private CompanionRuntime node(PostgresConversationCatalog catalog, LanguageModel model, Duration lease) {
        return CompanionRuntime.builder().prompts(prompts).model(model).catalog(catalog)
                .turnLeases(catalog.turnLeases(lease)).sharedEvents(catalog.sharedEvents()).build();
    }
}
