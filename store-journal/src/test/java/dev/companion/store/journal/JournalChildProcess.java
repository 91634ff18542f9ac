package dev.companion.store.journal;

import dev.companion.core.model.TurnId;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A second JVM for {@link JournalDirectoryTest}: opens the journal in {@code args[0]}, starts a turn,
 * forces some reply progress, says {@code ready} and waits to be killed (or for its input to close).
 */
public final class JournalChildProcess {

    private JournalChildProcess() {
    }

    public static void main(String[] args) throws IOException {
        JournalTranscriptStore store = JournalTranscriptStore.open(Path.of(args[0]), JournalFixtures.quiet());
        TurnId turn = new TurnId("child-turn");
        store.append(JournalFixtures.user(turn, "from the child"));
        store.recordReplyProgress(turn, "the child was saying");
        store.sync();
        store.recordReplyProgress(turn, " something it never forced");
        System.out.println("ready");
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for SIGKILL
        }
        store.close();
    }
}
