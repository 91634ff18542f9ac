package dev.companion.bench;

import dev.companion.core.model.TranscriptItem;
import dev.companion.core.port.TranscriptStore;
import dev.companion.store.journal.JournalConversationCatalog;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Durable appends per second from 8 concurrent writers, each append acknowledged only after a force:
 * group commit (waiting appends share one force) against one force per append.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(8)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@State(Scope.Benchmark)
public class AppendBenchmark {

    @Param({"GROUP", "EACH"})
    public JournalConversationCatalog.Commit commit;

    private JournalConversationCatalog catalog;
    private TranscriptStore store;
    private Path directory;
    private final AtomicLong counter = new AtomicLong();

    @Setup(Level.Trial)
    public void open() {
        directory = BenchJournals.freshDirectory("append-" + commit);
        catalog = JournalConversationCatalog.open(directory, BenchJournals.options(commit));
        store = BenchJournals.defaultTranscript(catalog);
    }

    @TearDown(Level.Trial)
    public void close() {
        catalog.close();
        BenchJournals.delete(directory);
    }

    @Benchmark
    public TranscriptItem append() {
        return store.append(BenchJournals.entry(counter.getAndIncrement()));
    }
}
