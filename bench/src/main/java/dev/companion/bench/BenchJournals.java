package dev.companion.bench;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.TranscriptStore;
import dev.companion.store.journal.JournalConversationCatalog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Where benchmark journals live (on a real disk, not a RAM file system), and how they are made. */
final class BenchJournals {

    /** Holds the journals; override with -Dcompanion.bench.dir=... to measure another disk. */
    static Path root() {
        return Path.of(System.getProperty("companion.bench.dir", "bench/target/bench-data")).toAbsolutePath();
    }

    static JournalConversationCatalog.Options options(JournalConversationCatalog.Commit commit) {
        return JournalConversationCatalog.Options.defaults().withCommit(commit).withProgressSyncInterval(Duration.ZERO);
    }

    /** The default conversation's transcript in {@code catalog}, created when the directory is new. */
    static TranscriptStore defaultTranscript(JournalConversationCatalog catalog) {
        if (catalog.find(ConversationId.DEFAULT).isEmpty()) {
            catalog.create(ConversationId.DEFAULT, Optional.empty(), Instant.ofEpochSecond(1_700_000_000L));
        }
        return catalog.transcript(ConversationId.DEFAULT);
    }

    static TranscriptEntry entry(long n) {
        TurnId turn = new TurnId("turn-" + (n / 2));
        boolean user = n % 2 == 0;
        String content = user
                ? "Question " + n + ": what should I keep in mind when planning a journal format for a chat log?"
                : "Answer " + n + ": frame every record with its length and a checksum, write it append-only, "
                        + "force before you acknowledge, and keep an index of offsets so any page is one seek away.";
        return new TranscriptEntry(user ? Role.USER : Role.ASSISTANT, content, Instant.ofEpochSecond(1_700_000_000L + n),
                user ? "http" : "offline", user ? ItemStatus.ACCEPTED : ItemStatus.COMPLETED, turn);
    }

    /** A journal of {@code items} complete items, made once and reused by later runs and forks. */
    static Path longJournal(long items) {
        Path directory = root().resolve("journal-" + items);
        try (JournalConversationCatalog catalog = JournalConversationCatalog.open(directory,
                options(JournalConversationCatalog.Commit.GROUP))) {
            TranscriptStore store = defaultTranscript(catalog);
            long size = store.size();
            int batch = 10_000;
            while (size < items) {
                List<TranscriptEntry> entries = new ArrayList<>(batch);
                for (long n = size; n < Math.min(items, size + batch); n++) {
                    entries.add(entry(n));
                }
                catalog.appendAll(ConversationId.DEFAULT, entries);
                size = store.size();
            }
            if (size != items) {
                throw new IllegalStateException("the cached journal holds " + size + " items, not " + items);
            }
        }
        return directory;
    }

    static Path freshDirectory(String name) {
        Path directory = root().resolve(name);
        delete(directory);
        return directory;
    }

    static void delete(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private BenchJournals() {
    }
}
