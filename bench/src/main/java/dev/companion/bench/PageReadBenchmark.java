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
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** One 50-item page at the start and at the end of a 1,000,000-item journal: should cost the same. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@State(Scope.Benchmark)
public class PageReadBenchmark {

    static final long ITEMS = 1_000_000;

    @Param({"0", "999950"})
    public long start;

    private JournalConversationCatalog catalog;
    private TranscriptStore store;

    @Setup(Level.Trial)
    public void open() {
        catalog = JournalConversationCatalog.open(BenchJournals.longJournal(ITEMS),
                BenchJournals.options(JournalConversationCatalog.Commit.GROUP));
        store = BenchJournals.defaultTranscript(catalog);
    }

    @TearDown(Level.Trial)
    public void close() {
        catalog.close();
    }

    @Benchmark
    public List<TranscriptItem> readPage() {
        return store.read(start, 50);
    }
}
