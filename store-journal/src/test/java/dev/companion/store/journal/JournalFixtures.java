package dev.companion.store.journal;

import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Journals made in tests, and ways to look at their bytes. */
final class JournalFixtures {

    static final Instant T0 = Instant.parse("2025-03-01T10:15:30.5Z");

    private JournalFixtures() {
    }

    /**
     * Real files whose forces do nothing. For tests that open hundreds of damaged journals to check what
     * recovery decides, not what reaches the disk: each force would cost milliseconds.
     */
    static final JournalFile.Opener UNFORCED = path -> {
        JournalFile real = JournalFile.Opener.CHANNELS.open(path);
        return new JournalFile() {
            @Override
            public int read(java.nio.ByteBuffer target, long position) throws IOException {
                return real.read(target, position);
            }

            @Override
            public void write(java.nio.ByteBuffer source, long position) throws IOException {
                real.write(source, position);
            }

            @Override
            public void force() {
                // durability is not what these tests are about
            }

            @Override
            public void truncate(long size) throws IOException {
                real.truncate(size);
            }

            @Override
            public long size() throws IOException {
                return real.size();
            }

            @Override
            public void close() throws IOException {
                real.close();
            }
        };
    };

    /** Defaults without the periodic force, so forces happen only where a test makes them. */
    static JournalConversationCatalog.Options quiet() {
        return JournalConversationCatalog.Options.defaults().withProgressSyncInterval(Duration.ZERO);
    }

    static TranscriptEntry user(TurnId turn, String content) {
        return new TranscriptEntry(Role.USER, content, T0, "cli", ItemStatus.ACCEPTED, turn);
    }

    static TranscriptEntry reply(TurnId turn, String content) {
        return new TranscriptEntry(Role.ASSISTANT, content, T0.plusSeconds(2), "offline", ItemStatus.COMPLETED, turn);
    }

    /** Writes {@code turns} complete turns into a new journal in {@code directory} and closes it. */
    static List<TranscriptItem> journalWithTurns(Path directory, int turns) {
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            List<TranscriptItem> items = new ArrayList<>();
            for (int i = 0; i < turns; i++) {
                TurnId turn = new TurnId("turn-" + i);
                items.add(store.append(user(turn, "question number " + i)));
                items.add(store.append(reply(turn, "answer number " + i)));
            }
            return items;
        }
    }

    static Path journal(Path directory) {
        return directory.resolve(JournalTranscriptStore.JOURNAL_FILE);
    }

    static Path index(Path directory) {
        return directory.resolve(JournalTranscriptStore.INDEX_FILE);
    }

    static byte[] bytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes {@code bytes} as the whole of {@code file}. A new directory and file are made owner-only, as
     * the store makes its own, so only tests about permissions see a permissive data directory.
     */
    static void write(Path file, byte[] bytes) {
        try {
            if (!Files.isDirectory(file.getParent())) {
                DataDirectory.create(file.getParent());
            }
            if (!Files.exists(file)) {
                Files.createFile(file, DataDirectory.ownerOnlyFile(file));
            }
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The byte offset of every record in a journal, in order. */
    static List<Long> recordOffsets(Path directory) {
        byte[] bytes = bytes(journal(directory));
        List<Long> offsets = new ArrayList<>();
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
        int at = JournalFormat.HEADER_SIZE;
        while (at < bytes.length) {
            offsets.add((long) at);
            at += JournalFormat.FRAME_HEADER + buffer.getInt(at);
        }
        return offsets;
    }

    static List<Path> brokenFiles(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".broken")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] concat(byte[] first, byte[] second) {
        byte[] joined = new byte[first.length + second.length];
        System.arraycopy(first, 0, joined, 0, first.length);
        System.arraycopy(second, 0, joined, first.length, second.length);
        return joined;
    }
}
