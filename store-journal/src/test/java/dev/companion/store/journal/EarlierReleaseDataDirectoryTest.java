package dev.companion.store.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.StoredConversation;
import dev.companion.core.port.TranscriptStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import static dev.companion.store.journal.JournalFixtures.bytes;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A data directory written by the first release (commit 1b23750, see the README beside the
 * resources) opens as the default conversation with every item as that release exported it, and
 * its journal is not rewritten.
 */
class EarlierReleaseDataDirectoryTest {

    private static final String FIXTURE = "/earlier-release-1b23750/";
    private static final ConversationId OTHER = new ConversationId("c-after-the-upgrade");

    @TempDir
    Path temp;

    private Path data;
    private byte[] released;
    private List<TranscriptItem> exported;

    @BeforeEach
    void copyTheReleasedDirectory() throws IOException {
        data = temp.resolve("data");
        Files.createDirectories(data);
        for (String name : List.of("companion.journal", "companion.journal.idx", "companion.lock")) {
            try (InputStream in = resource("data/" + name)) {
                Files.copy(in, data.resolve(name));
            }
            // Git keeps no permissions: give the files back the owner-only ones the release created them with.
            if (DataDirectory.posix(data)) {
                Files.setPosixFilePermissions(data.resolve(name), PosixFilePermissions.fromString("rw-------"));
            }
        }
        if (DataDirectory.posix(data)) {
            Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
        }
        released = bytes(journal());
        exported = exportedItems();
    }

    private static InputStream resource(String name) {
        InputStream in = EarlierReleaseDataDirectoryTest.class.getResourceAsStream(FIXTURE + name);
        if (in == null) {
            throw new IllegalStateException("missing test resource " + FIXTURE + name);
        }
        return in;
    }

    /** The items of the release's own {@code transcript --export json}. */
    private static List<TranscriptItem> exportedItems() throws IOException {
        JsonNode export;
        try (InputStream in = resource("transcript.json")) {
            export = new ObjectMapper().readTree(in);
        }
        List<TranscriptItem> items = new ArrayList<>();
        for (JsonNode item : export.get("items")) {
            items.add(new TranscriptItem(item.get("sequence").asLong(),
                    Role.valueOf(item.get("role").asText().toUpperCase(Locale.ROOT)),
                    item.get("content").asText(),
                    Instant.parse(item.get("created_at").asText()),
                    item.get("source").asText(),
                    ItemStatus.valueOf(item.get("status").asText().toUpperCase(Locale.ROOT)),
                    new TurnId(item.get("turn_id").asText())));
        }
        assertThat(items).hasSize(export.get("total_items").asInt()).hasSize(18);
        return items;
    }

    private Path journal() {
        return data.resolve("companion.journal");
    }

    private JournalConversationCatalog open() {
        return JournalConversationCatalog.open(data, JournalConversationCatalog.Options.defaults());
    }

    private static int headerVersion(byte[] journal) {
        return ByteBuffer.wrap(journal).getInt(8);
    }

    @Test
    void every_item_reads_as_the_earlier_release_exported_it() {
        try (JournalConversationCatalog catalog = open()) {
            TranscriptStore transcript = catalog.transcript(ConversationId.DEFAULT);
            assertThat(transcript.size()).isEqualTo(18);
            List<TranscriptItem> read = transcript.read(0, 100);
            for (int i = 0; i < exported.size(); i++) {
                assertThat(read.get(i)).as("item %d", i).isEqualTo(exported.get(i));
            }
            assertThat(read).containsExactlyElementsOf(exported);
            // Pages anywhere read the same as the whole.
            assertThat(transcript.read(11, 5)).containsExactlyElementsOf(exported.subList(11, 16));
            assertThat(transcript.diagnostics()).isEmpty();
            assertThat(catalog.diagnostics()).isEmpty();
        }
    }

    @Test
    void the_directory_becomes_the_default_conversation_begun_with_its_first_item_and_titled_by_its_first_message() {
        try (JournalConversationCatalog catalog = open()) {
            assertThat(catalog.conversations()).containsExactly(new StoredConversation(ConversationId.DEFAULT,
                    Optional.of("Plan a three-day trip to Kyoto in November."), Instant.parse("2025-11-02T09:14:07.250300400Z")));
        }
        assertThat(data.resolve(CatalogueLog.FILE)).exists();
        try (JournalConversationCatalog catalog = open()) {
            assertThat(catalog.conversations()).extracting(StoredConversation::id).containsExactly(ConversationId.DEFAULT);
        }
    }

    @Test
    void the_journal_is_not_rewritten_by_open_read_and_close_and_only_grows_with_appends() {
        assertThat(headerVersion(released)).isEqualTo(1);
        try (JournalConversationCatalog catalog = open()) {
            assertThat(bytes(journal())).isEqualTo(released);
            catalog.transcript(ConversationId.DEFAULT).read(0, 100);
            assertThat(bytes(journal())).isEqualTo(released);
        }
        assertThat(bytes(journal())).isEqualTo(released);
        try (JournalConversationCatalog catalog = open()) {
            assertThat(bytes(journal())).isEqualTo(released);
            TurnId turn = new TurnId("turn-after-the-upgrade");
            catalog.transcript(ConversationId.DEFAULT).append(new TranscriptEntry(Role.USER, "and now?",
                    Instant.parse("2026-01-01T00:00:00Z"), "http", ItemStatus.ACCEPTED, turn));
            catalog.transcript(ConversationId.DEFAULT).append(new TranscriptEntry(Role.ASSISTANT, "still here",
                    Instant.parse("2026-01-01T00:00:01Z"), "offline", ItemStatus.COMPLETED, turn));
        }
        byte[] grown = bytes(journal());
        assertThat(Arrays.copyOf(grown, released.length)).isEqualTo(released);
        assertThat(headerVersion(grown)).as("only item records were added: still version 1").isEqualTo(1);
        try (JournalConversationCatalog catalog = open()) {
            assertThat(catalog.transcript(ConversationId.DEFAULT).read(0, 18)).containsExactlyElementsOf(exported);
            assertThat(catalog.transcript(ConversationId.DEFAULT).size()).isEqualTo(20);
        }
    }

    @Test
    void a_supersede_in_the_released_journal_changes_its_header_version_and_appends_and_changes_nothing_else() {
        try (JournalConversationCatalog catalog = open()) {
            catalog.transcript(ConversationId.DEFAULT).supersede(Set.of(16L, 17L));
        }

        byte[] after = bytes(journal());
        assertThat(headerVersion(after)).isEqualTo(2);
        assertThat(Arrays.copyOfRange(after, 16, released.length))
                .isEqualTo(Arrays.copyOfRange(released, 16, released.length));
        try (JournalConversationCatalog catalog = open()) {
            List<TranscriptItem> read = catalog.transcript(ConversationId.DEFAULT).read(0, 100);
            assertThat(read.subList(0, 16)).containsExactlyElementsOf(exported.subList(0, 16));
            assertThat(read.subList(16, 18)).extracting(TranscriptItem::status)
                    .containsExactly(ItemStatus.SUPERSEDED, ItemStatus.SUPERSEDED);
            assertThat(read.subList(16, 18)).extracting(TranscriptItem::content)
                    .containsExactly(exported.get(16).content(), exported.get(17).content());
        }
    }

    @Test
    void conversations_made_after_the_upgrade_and_the_released_one_survive_restarts_together() {
        List<TranscriptItem> other = new ArrayList<>();
        try (JournalConversationCatalog catalog = open()) {
            catalog.create(OTHER, Optional.empty(), Instant.parse("2026-02-01T08:00:00Z"));
            catalog.retitle(ConversationId.DEFAULT, "Kyoto, the first conversation");
            TurnId turn = new TurnId("turn-other");
            other.add(catalog.transcript(OTHER).append(new TranscriptEntry(Role.USER, "a new conversation",
                    Instant.parse("2026-02-01T08:00:01Z"), "http", ItemStatus.ACCEPTED, turn)));
            other.add(catalog.transcript(OTHER).append(new TranscriptEntry(Role.ASSISTANT, "with its own journal",
                    Instant.parse("2026-02-01T08:00:02Z"), "offline", ItemStatus.COMPLETED, turn)));
        }
        assertThat(bytes(journal())).isEqualTo(released);

        for (int restart = 0; restart < 2; restart++) {
            try (JournalConversationCatalog catalog = open()) {
                assertThat(catalog.conversations()).containsExactlyInAnyOrder(
                        new StoredConversation(ConversationId.DEFAULT, Optional.of("Kyoto, the first conversation"),
                                exported.get(0).createdAt()),
                        new StoredConversation(OTHER, Optional.empty(), Instant.parse("2026-02-01T08:00:00Z")));
                assertThat(catalog.transcript(ConversationId.DEFAULT).read(0, 100)).containsExactlyElementsOf(exported);
                assertThat(catalog.transcript(OTHER).read(0, 100)).containsExactlyElementsOf(other);
                assertThat(catalog.search("fushimi")).containsExactly(ConversationId.DEFAULT);
            }
        }
        assertThat(bytes(journal())).isEqualTo(released);
    }
}
