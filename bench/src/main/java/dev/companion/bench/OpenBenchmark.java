package dev.companion.bench;

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
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Start-up cost of a 1,000,000-item journal: every record checked (FULL) against the tail only (TAIL). */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@State(Scope.Benchmark)
public class OpenBenchmark {

    @Param({"FULL", "TAIL"})
    public JournalConversationCatalog.Verification verification;

    private Path directory;

    @Setup(Level.Trial)
    public void prepare() {
        directory = BenchJournals.longJournal(PageReadBenchmark.ITEMS);
    }

    @Benchmark
    public long openAndClose() {
        try (JournalConversationCatalog catalog = JournalConversationCatalog.open(directory,
                BenchJournals.options(JournalConversationCatalog.Commit.GROUP).withVerification(verification))) {
            return BenchJournals.defaultTranscript(catalog).size();
        }
    }
}
