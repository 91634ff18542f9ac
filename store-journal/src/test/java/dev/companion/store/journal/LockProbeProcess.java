package dev.companion.store.journal;

import java.nio.file.Path;

/** A second JVM that tries to open the journal in {@code args[0]} and prints what happened. */
public final class LockProbeProcess {

    private LockProbeProcess() {
    }

    public static void main(String[] args) {
        try (JournalTranscriptStore store = JournalTranscriptStore.open(Path.of(args[0]), JournalFixtures.quiet())) {
            System.out.println("opened");
        } catch (DataDirectoryLockedException e) {
            System.out.println("refused");
        }
    }
}
