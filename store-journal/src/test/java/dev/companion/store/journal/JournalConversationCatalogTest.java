package dev.companion.store.journal;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.StorageException;
import dev.companion.core.port.StoredConversation;
import dev.companion.core.port.TranscriptStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static dev.companion.store.journal.JournalFixtures.bytes;
import static dev.companion.store.journal.JournalFixtures.concat;
import static dev.companion.store.journal.JournalFixtures.journalWithTurns;
import static dev.companion.store.journal.JournalFixtures.quiet;
import static dev.companion.store.journal.JournalFixtures.reply;
import static dev.companion.store.journal.JournalFixtures.user;
import static dev.companion.store.journal.JournalFixtures.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The data directory as a whole: where each conversation lives, the catalogue file, deletes, repairs. */
class JournalConversationCatalogTest {

    private static final Instant T0 = Instant.parse("2025-03-01T10:15:30.5Z");
    private static final ConversationId A = new ConversationId("c-a");
    private static final ConversationId B = new ConversationId("c-b");

    @TempDir
    Path temp;

    private Path data() {
        return temp.resolve("data");
    }

    private JournalConversationCatalog open() {
        return JournalConversationCatalog.open(data(), quiet());
    }

    private JournalConversationCatalog open(FaultyFiles files) {
        return JournalConversationCatalog.open(data(), quiet(), files);
    }

    private Path catalogueFile() {
        return data().resolve(CatalogueLog.FILE);
    }

    private Path journalOf(ConversationId id) {
        return id.equals(ConversationId.DEFAULT) ? data().resolve("companion.journal")
                : data().resolve("conversations").resolve(id.value() + ".journal");
    }

    private List<String> files(Path directory) {
        try (Stream<Path> listing = Files.list(directory)) {
            return listing.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The byte offset of every record in a catalogue file. */
    private static List<Integer> recordOffsets(byte[] file) {
        List<Integer> offsets = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(file);
        for (int at = CatalogueLog.HEADER; at < file.length; at += 8 + in.getInt(at)) {
            offsets.add(at);
        }
        return offsets;
    }

    private static List<TranscriptItem> turn(TranscriptStore transcript, String turn, String words) {
        TurnId id = new TurnId(turn);
        return List.of(transcript.append(user(id, words)), transcript.append(reply(id, "re: " + words)));
    }

    // --- layout ---------------------------------------------------------------------------------

    @Test
    void holds_conversations_looks_for_a_catalogue_or_a_first_release_journal_and_creates_nothing() throws IOException {
        assertThat(JournalConversationCatalog.holdsConversations(data())).isFalse();
        Files.createDirectories(data());
        assertThat(JournalConversationCatalog.holdsConversations(data())).isFalse();
        assertThat(files(data())).isEmpty();

        Files.write(data().resolve("companion.journal"), new byte[0]);
        assertThat(JournalConversationCatalog.holdsConversations(data())).isTrue();
        Files.delete(data().resolve("companion.journal"));
        try (JournalConversationCatalog catalog = open()) {
            catalog.create(A, Optional.empty(), T0);
        }
        assertThat(JournalConversationCatalog.holdsConversations(data())).isTrue();
    }

    @Test
    void the_default_conversation_lives_in_the_first_release_journal_and_others_under_conversations() {
        try (JournalConversationCatalog catalog = open()) {
            catalog.create(ConversationId.DEFAULT, Optional.empty(), T0);
            catalog.create(A, Optional.of("A"), T0);
            turn(catalog.transcript(ConversationId.DEFAULT), "t1", "default words");
            turn(catalog.transcript(A), "t2", "words of a");
        }

        assertThat(files(data())).containsExactly("companion.catalog", "companion.journal", "companion.journal.idx",
                "companion.lock", "conversations");
        assertThat(files(data().resolve("conversations"))).containsExactly("c-a.journal", "c-a.journal.idx");
        assertThat(new String(bytes(journalOf(A)), StandardCharsets.UTF_8)).contains("words of a")
                .doesNotContain("default words");
    }

    @Test
    void a_new_catalogue_is_a_header_and_each_change_one_forced_record() {
        try (JournalConversationCatalog catalog = open()) {
            assertThat(bytes(catalogueFile())).isEqualTo(CatalogueLog.header().array());
            catalog.create(A, Optional.empty(), T0);
            catalog.retitle(A, "Plans");
            catalog.delete(A);
            catalog.delete(A); // nothing to delete: nothing written
        }

        byte[] file = bytes(catalogueFile());
        ByteBuffer in = ByteBuffer.wrap(file);
        List<Byte> types = new ArrayList<>();
        for (int at = CatalogueLog.HEADER; at < file.length; at += 8 + in.getInt(at)) {
            types.add(file[at + 8]);
        }
        assertThat(types).containsExactly(CatalogueLog.CREATED, CatalogueLog.RETITLED, CatalogueLog.DELETED);
    }

    @Test
    void every_file_and_directory_is_for_the_owner_only() throws IOException {
        assumeTrue(DataDirectory.posix(temp), "the file system has POSIX permissions");
        try (JournalConversationCatalog catalog = open()) {
            catalog.create(A, Optional.empty(), T0);
            turn(catalog.transcript(A), "t", "private");
        }

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data().resolve("conversations"))))
                .isEqualTo("rwx------");
        for (Path file : List.of(catalogueFile(), journalOf(A))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                    .as(file.getFileName().toString()).isEqualTo("rw-------");
        }
    }

    @Test
    void others_reaching_the_catalogue_or_a_conversation_journal_are_warned_about_once_by_the_catalogue()
            throws IOException {
        assumeTrue(DataDirectory.posix(temp), "the file system has POSIX permissions");
        try (JournalConversationCatalog catalog = open()) {
            catalog.create(A, Optional.empty(), T0);
            turn(catalog.transcript(A), "t", "private");
            assertThat(catalog.diagnostics()).isEmpty();
        }
        Files.setPosixFilePermissions(catalogueFile(), PosixFilePermissions.fromString("rw-r-----"));
        Files.setPosixFilePermissions(data().resolve("conversations"), PosixFilePermissions.fromString("rwxrwx---"));
        Files.setPosixFilePermissions(journalOf(A), PosixFilePermissions.fromString("rw----r--"));

        try (JournalConversationCatalog catalog = open()) {
            assertThat(catalog.diagnostics()).singleElement().satisfies(warning -> {
                assertThat(warning.code()).isEqualTo(DiagnosticCode.DATA_DIRECTORY_PERMISSIVE);
                assertThat(warning.message())
                        .contains("companion.catalog can be read by its group")
                        .contains("its directory conversations can be written by its group")
                        .contains("c-a.journal can be read by others")
                        .doesNotContain(temp.toString());
            });
            assertThat(catalog.transcript(A).diagnostics()).isEmpty();
        }
    }

    // --- one lock per directory -----------------------------------------------------------------

    @Test
    void a_second_catalogue_or_a_lone_journal_on_the_same_directory_is_refused_until_the_first_closes() {
        try (JournalConversationCatalog first = open()) {
            first.create(A, Optional.empty(), T0);
            first.transcript(A);
            assertThatExceptionOfType(DataDirectoryLockedException.class).isThrownBy(this::open)
                    .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.DATA_DIRECTORY_LOCKED));
            assertThatExceptionOfType(DataDirectoryLockedException.class)
                    .isThrownBy(() -> JournalTranscriptStore.open(data(), quiet()));
        }
        open().close();
    }

    // --- independent conversations --------------------------------------------------------------

    @Test
    void two_conversations_journals_are_independent_after_a_restart() {
        List<TranscriptItem> a;
        List<TranscriptItem> b;
        try (JournalConversationCatalog catalog = open()) {
            catalog.create(A, Optional.empty(), T0);
            catalog.create(B, Optional.empty(), T0);
            a = new ArrayList<>(turn(catalog.transcript(A), "a1", "first in a"));
            b = new ArrayList<>(turn(catalog.transcript(B), "b1", "first in b"));
            a.addAll(turn(catalog.transcript(A), "a2", "second in a"));
            catalog.transcript(B).supersede(Set.of(1L));
            b.set(1, catalog.transcript(B).read(1, 1).get(0));
        }

        try (JournalConversationCatalog catalog = open()) {
            assertThat(catalog.transcript(A).read(0, 10)).containsExactlyElementsOf(a);
            assertThat(catalog.transcript(B).read(0, 10)).containsExactlyElementsOf(b);
            assertThat(b.get(1).status()).isEqualTo(ItemStatus.SUPERSEDED);
            TranscriptItem next = catalog.transcript(B).append(user(new TurnId("b2"), "after the restart"));
            assertThat(next.sequence()).isEqualTo(2);
            assertThat(catalog.transcript(A).size()).isEqualTo(4);
        }
    }

    @Test
    void a_damaged_journal_refuses_only_its_own_conversation() {
        try (JournalConversationCatalog catalog = open()) {
            catalog.create(A, Optional.empty(), T0);
            catalog.create(B, Optional.empty(), T0);
            for (int i = 0; i < 3; i++) {
                turn(catalog.transcript(A), "a" + i, "a " + i);
                turn(catalog.transcript(B), "b" + i, "b " + i);
            }
        }
        byte[] damaged = bytes(journalOf(B));
        damaged[40] ^= 0x5A;
        write(journalOf(B), damaged);

        try (JournalConversationCatalog catalog = open()) {
            assertThat(catalog.conversations()).hasSize(2);
            assertThat(catalog.transcript(A).size()).isEqualTo(6);
            assertThatExceptionOfType(JournalCorruptedException.class).isThrownBy(() -> catalog.transcript(B));
        }
        assertThat(bytes(journalOf(B))).isEqualTo(damaged);
    }

    @Test
    void reply_progress_of_two_conversations_is_recovered_each_in_its_own() {
        try (JournalConversationCatalog catalog = open()) {
            catalog.create(A, Optional.empty(), T0);
            catalog.create(B, Optional.empty(), T0);
            catalog.transcript(A).append(user(new TurnId("ta"), "tell a"));
            catalog.transcript(B).append(user(new TurnId("tb"), "tell b"));
            catalog.transcript(A).recordReplyProgress(new TurnId("ta"), "once in a");
            catalog.transcript(B).recordReplyProgress(new TurnId("tb"), "once in b");
        }

        try (JournalConversationCatalog catalog = open()) {
            assertThat(catalog.transcript(A).read(1, 1).get(0).content()).isEqualTo("once in a");
            assertThat(catalog.transcript(B).read(1, 1).get(0).content()).isEqualTo("once in b");
            assertThat(catalog.transcript(A).diagnostics()).extracting(d -> d.code())
                    .containsExactly(DiagnosticCode.JOURNAL_RECOVERED_INTERRUPTED_REPLY);
        }
    }

    // --- delete ---------------------------------------------------------------------------------

    @Test
    void delete_removes_the_journal_its_index_and_its_broken_files_and_nothing_of_the_others() {
        ConversationId prefix = new ConversationId("c");
        try (JournalConversationCatalog catalog = open()) {
            catalog.create(A, Optional.empty(), T0);
            catalog.create(prefix, Optional.empty(), T0);
            turn(catalog.transcript(A), "a", "doomed");
            turn(catalog.transcript(prefix), "c", "kept");
        }
        write(journalOf(A), concat(bytes(journalOf(A)), new byte[] {9, 9, 9}));
        try (JournalConversationCatalog catalog = open()) {
            catalog.transcript(A);
            assertThat(files(data().resolve("conversations"))).anyMatch(name -> name.startsWith("c-a.journal.")
                    && name.endsWith(".broken"));

            catalog.delete(A);

            assertThat(files(data().resolve("conversations"))).containsExactly("c.journal", "c.journal.idx");
            assertThat(catalog.transcript(prefix).size()).isEqualTo(2);
        }
    }

    @Test
    void deleting_the_default_conversation_removes_the_first_release_files_and_it_can_start_again() {
        try (JournalConversationCatalog catalog = open()) {
            catalog.create(ConversationId.DEFAULT, Optional.empty(), T0);
            turn(catalog.transcript(ConversationId.DEFAULT), "t", "gone soon");
            catalog.delete(ConversationId.DEFAULT);
            assertThat(files(data())).containsExactly("companion.catalog", "companion.lock");
        }

        try (JournalConversationCatalog catalog = open()) {
            assertThat(catalog.conversations()).isEmpty();
            catalog.create(ConversationId.DEFAULT, Optional.empty(), T0.plusSeconds(9));
            assertThat(catalog.transcript(ConversationId.DEFAULT).size()).isZero();
        }
    }

    @Test
    void a_delete_cut_short_by_a_crash_is_finished_at_the_next_open() throws IOException {
        try (JournalConversationCatalog catalog = open()) {
            catalog.create(A, Optional.empty(), T0);
            catalog.create(B, Optional.empty(), T0);
            turn(catalog.transcript(A), "a", "doomed");
            turn(catalog.transcript(B), "b", "kept");
        }
        Path aside = temp.resolve("aside");
        Files.createDirectories(aside);
        for (String name : List.of("c-a.journal", "c-a.journal.idx")) {
            Files.copy(data().resolve("conversations").resolve(name), aside.resolve(name));
        }
        try (JournalConversationCatalog catalog = open()) {
            catalog.delete(A);
        }
        // As if the process died after the delete record was forced and before the files went.
        for (String name : List.of("c-a.journal", "c-a.journal.idx")) {
            Files.copy(aside.resolve(name), data().resolve("conversations").resolve(name));
        }

        try (JournalConversationCatalog catalog = open()) {
            assertThat(catalog.conversations()).extracting(StoredConversation::id).containsExactly(B);
            assertThat(files(data().resolve("conversations"))).containsExactly("c-b.journal", "c-b.journal.idx");
            catalog.create(A, Optional.empty(), T0);
            assertThat(catalog.transcript(A).size()).isZero();
        }
    }

    // --- the catalogue file's repairs -------------------------------------------------------------

    @Test
    void the_last_catalogue_record_cut_at_every_byte_is_repaired_and_the_cut_bytes_kept() {
        try (JournalConversationCatalog catalog = open()) {
            catalog.create(A, Optional.of("first"), T0);
            catalog.create(B, Optional.empty(), T0);
            catalog.retitle(B, "never acknowledged");
        }
        byte[] whole = bytes(catalogueFile());
        int last = recordOffsets(whole).get(2);

        for (int cut = last + 1; cut < whole.length; cut++) {
            write(catalogueFile(), Arrays.copyOf(whole, cut));
            try (JournalConversationCatalog catalog = open()) {
                assertThat(catalog.conversations()).as("cut at %d", cut).containsExactly(
                        new StoredConversation(A, Optional.of("first"), T0),
                        new StoredConversation(B, Optional.empty(), T0));
                assertThat(catalog.diagnostics()).extracting(d -> d.code()).as("cut at %d", cut)
                        .containsExactly(DiagnosticCode.JOURNAL_TAIL_REPAIRED);
            }
            assertThat(bytes(catalogueFile())).isEqualTo(Arrays.copyOf(whole, last));
        }
        assertThat(files(data())).filteredOn(name -> name.startsWith("companion.catalog.") && name.endsWith(".broken"))
                .hasSize(whole.length - last - 1);
    }

    @Test
    void a_catalogue_header_torn_at_creation_is_written_again_and_the_journals_are_taken_in() {
        List<TranscriptItem> items = journalWithTurns(data(), 1);
        write(catalogueFile(), Arrays.copyOf(CatalogueLog.header().array(), 5));

        try (JournalConversationCatalog catalog = open()) {
            assertThat(catalog.conversations()).extracting(StoredConversation::id).containsExactly(ConversationId.DEFAULT);
            assertThat(catalog.transcript(ConversationId.DEFAULT).read(0, 10)).containsExactlyElementsOf(items);
            assertThat(catalog.diagnostics()).extracting(d -> d.code()).containsExactly(DiagnosticCode.JOURNAL_TAIL_REPAIRED);
        }
        assertThat(Arrays.copyOf(bytes(catalogueFile()), CatalogueLog.HEADER)).isEqualTo(CatalogueLog.header().array());
    }

    @Test
    void a_catalogue_damaged_before_its_tail_refuses_the_open_and_changes_nothing() {
        try (JournalConversationCatalog catalog = open()) {
            catalog.create(A, Optional.empty(), T0);
            catalog.create(B, Optional.empty(), T0);
        }
        byte[] damaged = bytes(catalogueFile());
        int first = recordOffsets(damaged).get(0);
        damaged[first + 12] ^= 0x11;
        write(catalogueFile(), damaged);

        assertThatExceptionOfType(JournalCorruptedException.class).isThrownBy(this::open)
                .satisfies(e -> {
                    assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.JOURNAL_CORRUPTED);
                    assertThat(e.getMessage()).contains("conversation catalogue").contains("byte " + first)
                            .doesNotContain(temp.toString());
                });
        assertThat(bytes(catalogueFile())).isEqualTo(damaged);
        // The lock was let go: a second try meets the damage again, not a locked directory.
        assertThatExceptionOfType(JournalCorruptedException.class).isThrownBy(this::open);
    }

    @Test
    void a_catalogue_from_a_newer_format_is_refused() throws IOException {
        Files.createDirectories(data());
        ByteBuffer header = ByteBuffer.allocate(16).put("CMPNCTLG".getBytes(StandardCharsets.US_ASCII)).putInt(2);
        header.putInt(JournalFormat.crc(header.array(), 0, 12));
        write(catalogueFile(), header.array());

        assertThatExceptionOfType(StorageException.class).isThrownBy(this::open)
                .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.JOURNAL_UNSUPPORTED_VERSION));
    }

    @Test
    void a_change_the_disk_refuses_is_reported_and_leaves_the_catalogue_as_it_was() {
        FaultyFiles faults = new FaultyFiles();
        try (JournalConversationCatalog catalog = open(faults)) {
            catalog.create(A, Optional.of("kept"), T0);
            faults.failCatalogue = true;

            assertThatExceptionOfType(StorageException.class).isThrownBy(() -> catalog.create(B, Optional.empty(), T0))
                    .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.STORAGE_WRITE_FAILED));
            assertThatExceptionOfType(StorageException.class).isThrownBy(() -> catalog.retitle(A, "lost"));
            assertThatExceptionOfType(StorageException.class).isThrownBy(() -> catalog.delete(A));

            assertThat(catalog.conversations()).containsExactly(new StoredConversation(A, Optional.of("kept"), T0));
            faults.heal();
            catalog.create(B, Optional.empty(), T0);
        }
        try (JournalConversationCatalog catalog = open()) {
            assertThat(catalog.conversations()).extracting(StoredConversation::id).containsExactly(A, B);
            assertThat(catalog.diagnostics()).isEmpty();
        }
    }

    // --- journals without a catalogue record --------------------------------------------------------

    @Test
    void a_first_release_directory_becomes_the_default_conversation_titled_by_its_first_message() {
        List<TranscriptItem> items = journalWithTurns(data(), 3);
        byte[] journal = bytes(journalOf(ConversationId.DEFAULT));

        try (JournalConversationCatalog catalog = open()) {
            assertThat(catalog.conversations()).containsExactly(new StoredConversation(ConversationId.DEFAULT,
                    Optional.of("question number 0"), items.get(0).createdAt()));
            assertThat(catalog.transcript(ConversationId.DEFAULT).read(0, 10)).containsExactlyElementsOf(items);
            assertThat(catalog.diagnostics()).isEmpty();
        }
        assertThat(bytes(journalOf(ConversationId.DEFAULT))).isEqualTo(journal);

        try (JournalConversationCatalog catalog = open()) {
            assertThat(catalog.conversations()).hasSize(1);
        }
    }

    @Test
    void journals_left_when_the_catalogue_was_moved_aside_are_taken_in() throws IOException {
        try (JournalConversationCatalog catalog = open()) {
            catalog.create(ConversationId.DEFAULT, Optional.of("renamed"), T0);
            catalog.create(A, Optional.of("Kyoto"), T0.plusSeconds(5));
            catalog.create(B, Optional.empty(), T0.plusSeconds(6));
            turn(catalog.transcript(ConversationId.DEFAULT), "d", "default first message");
            turn(catalog.transcript(A), "a", "\n  Where should we stay in Kyoto?\nnear a station");
        }
        Files.move(catalogueFile(), temp.resolve("aside.catalog"));

        // What is lost: the titles given by hand, and B, which had no transcript file yet.
        try (JournalConversationCatalog catalog = open()) {
            assertThat(catalog.conversations()).containsExactlyInAnyOrder(
                    new StoredConversation(ConversationId.DEFAULT, Optional.of("default first message"), T0),
                    new StoredConversation(A, Optional.of("Where should we stay in Kyoto?"), T0));
            assertThat(catalog.transcript(A).size()).isEqualTo(2);
        }
    }
}
