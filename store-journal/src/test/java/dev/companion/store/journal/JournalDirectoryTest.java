package dev.companion.store.journal;

import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.TranscriptItem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.companion.store.journal.JournalFixtures.brokenFiles;
import static dev.companion.store.journal.JournalFixtures.bytes;
import static dev.companion.store.journal.JournalFixtures.concat;
import static dev.companion.store.journal.JournalFixtures.journal;
import static dev.companion.store.journal.JournalFixtures.journalWithTurns;
import static dev.companion.store.journal.JournalFixtures.quiet;
import static dev.companion.store.journal.JournalFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** One server per data directory, and a directory only its owner can read. */
class JournalDirectoryTest {

    @TempDir
    Path temp;

    @Test
    void a_second_store_on_the_same_directory_in_this_jvm_is_refused() {
        Path directory = temp.resolve("data");
        try (JournalTranscriptStore first = JournalTranscriptStore.open(directory, quiet())) {
            assertThatExceptionOfType(DataDirectoryLockedException.class)
                    .isThrownBy(() -> JournalTranscriptStore.open(directory, quiet()))
                    .withMessageContaining("Another Companion server is using this data directory")
                    .satisfies(e -> {
                        assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.DATA_DIRECTORY_LOCKED);
                        assertThat(e.getMessage()).doesNotContain(temp.toString());
                    });
            assertThat(first.append(JournalFixtures.user(new dev.companion.core.model.TurnId("t"), "still mine")).sequence())
                    .isZero();
        }
        // Released on close.
        JournalTranscriptStore.open(directory, quiet()).close();
    }

    @Test
    void a_second_process_is_refused_and_a_killed_one_leaves_its_reply_interrupted() throws Exception {
        Path directory = temp.resolve("data");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                JournalChildProcess.class.getName(), directory.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    return "failed: " + e;
                }
            }).get(60, TimeUnit.SECONDS);
            assertThat(line).isEqualTo("ready");

            assertThatExceptionOfType(DataDirectoryLockedException.class)
                    .isThrownBy(() -> JournalTranscriptStore.open(directory, quiet()))
                    .withMessageContaining("Another Companion server is using this data directory");
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }

        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            List<TranscriptItem> items = store.read(0, 10);
            assertThat(items).hasSize(2);
            assertThat(items.get(0).content()).isEqualTo("from the child");
            assertThat(items.get(1).status()).isEqualTo(ItemStatus.INTERRUPTED);
            assertThat(items.get(1).content()).isEqualTo("the child was saying");
            assertThat(store.diagnostics()).extracting(d -> d.code())
                    .containsExactly(DiagnosticCode.JOURNAL_RECOVERED_INTERRUPTED_REPLY);
        }
    }

    @Test
    void a_refused_second_open_in_this_jvm_does_not_release_the_lock_for_other_processes() throws Exception {
        Path directory = temp.resolve("data");
        try (JournalTranscriptStore first = JournalTranscriptStore.open(directory, quiet())) {
            assertThatExceptionOfType(DataDirectoryLockedException.class)
                    .isThrownBy(() -> JournalTranscriptStore.open(directory, quiet()));
            // POSIX locks belong to the process: had the refused open closed a channel on the lock
            // file, the lock would be gone and this other process would open the same journal.
            assertThat(probe(directory)).isEqualTo("refused");
        }
        assertThat(probe(directory)).isEqualTo("opened");
    }

    private static String probe(Path directory) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LockProbeProcess.class.getName(), directory.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    return "failed: " + e;
                }
            }).get(60, TimeUnit.SECONDS);
        } finally {
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void the_directory_and_every_file_are_for_the_owner_only() throws IOException {
        assumeTrue(DataDirectory.posix(temp), "the file system has POSIX permissions");
        Path directory = temp.resolve("fresh");
        journalWithTurns(directory, 1);
        write(journal(directory), concat(bytes(journal(directory)), new byte[] {1, 2, 3}));
        JournalTranscriptStore.open(directory, quiet()).close();

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(directory))).isEqualTo("rwx------");
        for (Path file : List.of(journal(directory), JournalFixtures.index(directory),
                directory.resolve(DataDirectory.LOCK_FILE), brokenFiles(directory).get(0))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                    .as(file.getFileName().toString()).isEqualTo("rw-------");
        }
    }
}
