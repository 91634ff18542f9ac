package dev.companion.store.journal;

import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Severity;
import dev.companion.core.model.TranscriptItem;
import dev.companion.prompts.ClasspathPromptCatalog;
import dev.companion.runtime.CompanionRuntime;
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
import java.util.Optional;
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

    // --- permissions other users could use ------------------------------------------------------

    private static Optional<Diagnostic> permissionWarning(Path directory) {
        try (JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet())) {
            return store.diagnostics().stream().filter(d -> d.code() == DiagnosticCode.DATA_DIRECTORY_PERMISSIVE).findFirst();
        }
    }

    private static void chmod(Path path, String permissions) throws IOException {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
    }

    @Test
    void a_data_directory_its_group_and_others_can_write_to_is_reported_with_what_to_do_and_no_path()
            throws IOException {
        assumeTrue(DataDirectory.posix(temp), "the file system has POSIX permissions");
        Path directory = temp.resolve("data");
        journalWithTurns(directory, 1);
        chmod(directory, "rwxrwxrwx");

        assertThat(permissionWarning(directory)).get().satisfies(warning -> {
            assertThat(warning.severity()).isEqualTo(Severity.WARNING);
            assertThat(warning.message())
                    .contains("the data directory can be written by its group and others")
                    .contains("change or delete the conversation")
                    .contains("chmod 700")
                    .doesNotContain(temp.toString())
                    .doesNotContain(directory.getFileName().toString() + "/");
        });
        // Only reported: the owner decides.
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(directory))).isEqualTo("rwxrwxrwx");
    }

    @Test
    void a_journal_others_can_read_is_reported_by_its_base_name() throws IOException {
        assumeTrue(DataDirectory.posix(temp), "the file system has POSIX permissions");
        Path directory = temp.resolve("data");
        journalWithTurns(directory, 1);
        chmod(journal(directory), "rw-r--r--");

        assertThat(permissionWarning(directory)).get().extracting(Diagnostic::message).asString()
                .contains("companion.journal can be read by its group and others, so they could read the conversation")
                .contains("chmod 600")
                .doesNotContain("the data directory can be")
                .doesNotContain(temp.toString());
    }

    @Test
    void a_group_writable_index_and_broken_file_are_each_named() throws IOException {
        assumeTrue(DataDirectory.posix(temp), "the file system has POSIX permissions");
        Path directory = temp.resolve("data");
        journalWithTurns(directory, 1);
        write(journal(directory), concat(bytes(journal(directory)), new byte[] {9, 9, 9}));
        JournalTranscriptStore.open(directory, quiet()).close();
        chmod(JournalFixtures.index(directory), "rw-rw----");
        chmod(brokenFiles(directory).get(0), "rw-----w-");

        assertThat(permissionWarning(directory)).get().extracting(Diagnostic::message).asString()
                .contains("companion.journal.idx can be read by its group and written by its group")
                .contains(brokenFiles(directory).get(0).getFileName() + " can be written by others")
                .contains("read, change or delete the conversation");
    }

    @Test
    void an_owner_only_directory_and_one_others_may_only_enter_are_not_reported() throws IOException {
        assumeTrue(DataDirectory.posix(temp), "the file system has POSIX permissions");
        Path directory = temp.resolve("data");
        journalWithTurns(directory, 1);

        assertThat(permissionWarning(directory)).isEmpty();
        // Entering and listing show file names, not the conversation: the files stay owner-only.
        chmod(directory, "rwxr-xr-x");
        assertThat(permissionWarning(directory)).isEmpty();
    }

    @Test
    void status_shows_the_permission_warning() throws IOException {
        assumeTrue(DataDirectory.posix(temp), "the file system has POSIX permissions");
        Path directory = temp.resolve("data");
        journalWithTurns(directory, 1);
        chmod(directory, "rwxrwx---");

        JournalTranscriptStore store = JournalTranscriptStore.open(directory, quiet());
        try (CompanionRuntime runtime = CompanionRuntime.builder().prompts(new ClasspathPromptCatalog()).store(store).build()) {
            CompanionStatus status = runtime.companion().status();
            assertThat(status.diagnostics()).extracting(Diagnostic::code).contains(DiagnosticCode.DATA_DIRECTORY_PERMISSIVE);
        }
    }
}
