package dev.companion.store.journal;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ConversationTitle;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.port.ConversationCatalog;
import dev.companion.core.port.StorageException;
import dev.companion.core.port.StoredConversation;
import dev.companion.core.port.TranscriptStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Conversations kept in a data directory: a catalogue file and one append-only journal per
 * conversation (see {@code docs/journal.md}).
 *
 * <pre>
 * companion.lock                        held while a server uses the directory
 * companion.catalog                     the catalogue: created, retitled and deleted records
 * companion.journal (+ .idx)            the default conversation's transcript, where every release kept it
 * conversations/&lt;id&gt;.journal (+ .idx)   every other conversation's transcript
 * *.broken                              bytes cut from a damaged tail, kept for inspection
 * </pre>
 *
 * <p>A data directory written by the first release (a journal, no catalogue) opens as the default
 * conversation with every item as it was; nothing in its journal is rewritten. Each transcript is
 * opened (checked, repaired, a reply cut short recovered) the first time it is asked for, and stays
 * open until the catalogue closes. Every change to the catalogue is forced before the call returns.
 */
public final class JournalConversationCatalog implements ConversationCatalog {

    /** How appends reach the disk. */
    public enum Commit {
        /** Appends waiting while a force runs share the next force. */
        GROUP,
        /** Every append forces on its own, one after another: the baseline group commit is measured against. */
        EACH
    }

    /** How much of a journal is checked when it is opened. */
    public enum Verification {
        /** Every record's checksum: damage anywhere is found before the transcript is used. */
        FULL,
        /** Only the records after the last indexed item; damage earlier is found when its page is read. */
        TAIL
    }

    /** How the catalogue and its journals are opened. */
    public record Options(Clock clock, Commit commit, Verification verification, Duration progressSyncInterval) {

        public Options {
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(commit, "commit");
            Objects.requireNonNull(verification, "verification");
            Objects.requireNonNull(progressSyncInterval, "progressSyncInterval");
            if (progressSyncInterval.isNegative()) {
                throw new IllegalArgumentException("progressSyncInterval must not be negative");
            }
        }

        /** Group commit, full verification, reply progress forced at least every half second. */
        public static Options defaults() {
            return new Options(Clock.systemUTC(), Commit.GROUP, Verification.FULL, Duration.ofMillis(500));
        }

        public Options withClock(Clock value) {
            return new Options(value, commit, verification, progressSyncInterval);
        }

        public Options withCommit(Commit value) {
            return new Options(clock, value, verification, progressSyncInterval);
        }

        public Options withVerification(Verification value) {
            return new Options(clock, commit, value, progressSyncInterval);
        }

        /** {@link Duration#ZERO} turns the periodic force off: progress is then forced with the next append. */
        public Options withProgressSyncInterval(Duration value) {
            return new Options(clock, commit, verification, value);
        }
    }

    /** Where the conversations other than the default keep their journals. */
    static final String CONVERSATIONS = "conversations";
    private static final String JOURNAL_SUFFIX = ".journal";
    private static final Pattern CONVERSATION_JOURNAL = Pattern.compile("([A-Za-z0-9_-]{1,64})\\.journal");

    private final Path directory;
    private final Options options;
    private final JournalFile.Opener files;
    private final DataDirectory.Lock lock;
    private final CatalogueLog log;
    private final ScheduledExecutorService syncer;
    private final Map<ConversationId, JournalTranscriptStore> transcripts = new LinkedHashMap<>();
    private final List<Diagnostic> diagnostics = new ArrayList<>();
    private boolean closed;

    private JournalConversationCatalog(Path directory, Options options, JournalFile.Opener files,
                                       DataDirectory.Lock lock, CatalogueLog log, ScheduledExecutorService syncer) {
        this.directory = directory;
        this.options = options;
        this.files = files;
        this.lock = lock;
        this.log = log;
        this.syncer = syncer;
    }

    /**
     * Opens (creating if missing) the conversations in {@code dataDirectory}: takes the directory's
     * lock, reads and repairs the catalogue, finishes a delete a crash interrupted, and takes in a
     * journal no catalogue record names (the first release's transcript becomes the default conversation).
     *
     * @throws DataDirectoryLockedException when another server (or another catalogue in this process)
     *         uses the directory
     * @throws JournalCorruptedException when the catalogue, or a journal taken in, is damaged before its
     *         tail; nothing was changed
     * @throws StorageException when the directory cannot be read or written, or was written by a newer
     *         format ({@code journal_unsupported_version})
     */
    public static JournalConversationCatalog open(Path dataDirectory, Options options) {
        return open(dataDirectory, options, JournalFile.Opener.CHANNELS);
    }

    /**
     * Whether {@code dataDirectory} is a data directory with conversations in it: a catalogue, or the
     * first release's transcript. Looks only; for a caller that must not create one where there was
     * none (an import from it, say), since {@link #open} creates what is missing.
     */
    public static boolean holdsConversations(Path dataDirectory) {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        return Files.isDirectory(dataDirectory)
                && (Files.isRegularFile(dataDirectory.resolve(CatalogueLog.FILE))
                || Files.isRegularFile(dataDirectory.resolve(JournalTranscriptStore.JOURNAL_FILE)));
    }

    static JournalConversationCatalog open(Path dataDirectory, Options options, JournalFile.Opener files) {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Objects.requireNonNull(options, "options");
        DataDirectory.Lock held;
        try {
            held = DataDirectory.createAndLock(dataDirectory);
        } catch (IOException e) {
            throw openFailed(e);
        }
        CatalogueLog log = null;
        ScheduledExecutorService syncer = null;
        JournalConversationCatalog catalog = null;
        try {
            log = CatalogueLog.open(dataDirectory, files, options.clock());
            syncer = options.progressSyncInterval().isZero() ? null : JournalTranscriptStore.syncThread();
            catalog = new JournalConversationCatalog(dataDirectory, options, files, held, log, syncer);
            catalog.diagnostics.addAll(log.diagnostics());
            catalog.finishDeletes();
            catalog.takeInUnnamedJournals();
            catalog.checkPermissions();
            return catalog;
        } catch (IOException | RuntimeException e) {
            if (catalog != null) {
                catalog.close();
            } else {
                if (log != null) {
                    log.close();
                }
                if (syncer != null) {
                    syncer.shutdownNow();
                }
                held.close();
            }
            if (e instanceof StorageException storage) {
                throw storage;
            }
            throw openFailed(e);
        }
    }

    private static StorageException openFailed(Exception cause) {
        return new StorageException(Diagnostic.error(DiagnosticCode.STORAGE_READ_FAILED,
                "The data directory could not be opened."), cause);
    }

    // --- the port -----------------------------------------------------------------------------

    @Override
    public synchronized List<StoredConversation> conversations() {
        checkOpen();
        return List.copyOf(log.live().values());
    }

    @Override
    public synchronized Optional<StoredConversation> find(ConversationId id) {
        checkOpen();
        return Optional.ofNullable(log.live().get(id));
    }

    @Override
    public synchronized StoredConversation create(ConversationId id, Optional<String> title, Instant createdAt) {
        checkOpen();
        if (log.live().containsKey(id)) {
            throw new IllegalArgumentException("a conversation with id " + id + " exists");
        }
        StoredConversation conversation = new StoredConversation(id, title, createdAt);
        try {
            // Leftovers of a conversation deleted under this id must not come back as its transcript.
            removeFiles(id);
        } catch (IOException e) {
            throw StorageException.writeFailed(e);
        }
        log.created(conversation);
        return conversation;
    }

    @Override
    public synchronized StoredConversation retitle(ConversationId id, String title) {
        checkOpen();
        Objects.requireNonNull(title, "title");
        if (!log.live().containsKey(id)) {
            throw new IllegalArgumentException("no conversation with id " + id);
        }
        log.retitled(id, title);
        return log.live().get(id);
    }

    /**
     * Forces the delete record, then closes the transcript and removes its journal, index and
     * {@code .broken} files. Should removing a file fail, the next open finishes the delete.
     */
    @Override
    public synchronized void delete(ConversationId id) {
        checkOpen();
        if (!log.live().containsKey(id)) {
            return;
        }
        log.deleted(id);
        JournalTranscriptStore transcript = transcripts.remove(id);
        if (transcript != null) {
            transcript.close();
        }
        try {
            removeFiles(id);
        } catch (IOException leftOver) {
            // the delete is recorded; the files go at the next open
        }
    }

    @Override
    public synchronized TranscriptStore transcript(ConversationId id) {
        return journal(id);
    }

    /**
     * Appends several entries to a conversation's transcript with one force: all are stored, or (on a
     * failure) none. For moving a transcript in, and for benchmarks that need a long transcript quickly.
     *
     * @throws IllegalArgumentException when there is no such conversation
     */
    public List<TranscriptItem> appendAll(ConversationId id, List<TranscriptEntry> entries) {
        JournalTranscriptStore transcript;
        synchronized (this) {
            transcript = journal(id);
        }
        return transcript.appendAll(entries);
    }

    /**
     * The catalogue's own notes from opening (a repaired catalogue, a directory others can reach); each
     * transcript reports its own (a repaired journal, a recovered reply).
     */
    @Override
    public synchronized List<Diagnostic> diagnostics() {
        return List.copyOf(diagnostics);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (JournalTranscriptStore transcript : transcripts.values()) {
            try {
                transcript.close();
            } catch (RuntimeException ignored) {
                // closing the others anyway
            }
        }
        transcripts.clear();
        if (syncer != null) {
            syncer.shutdownNow();
        }
        log.close();
        lock.close();
    }

    // --- transcripts and their files ----------------------------------------------------------

    private JournalTranscriptStore journal(ConversationId id) {
        checkOpen();
        Objects.requireNonNull(id, "id");
        if (!log.live().containsKey(id)) {
            throw new IllegalArgumentException("no conversation with id " + id);
        }
        JournalTranscriptStore open = transcripts.get(id);
        if (open != null) {
            return open;
        }
        Path home = home(id);
        try {
            DataDirectory.create(home);
        } catch (IOException e) {
            throw openFailed(e);
        }
        JournalTranscriptStore opened = JournalTranscriptStore.open(home, journalName(id), options, files, null, syncer);
        transcripts.put(id, opened);
        return opened;
    }

    /** The directory that holds a conversation's journal. */
    private Path home(ConversationId id) {
        return id.equals(ConversationId.DEFAULT) ? directory : directory.resolve(CONVERSATIONS);
    }

    /**
     * The file name of a conversation's journal: the default conversation keeps the first release's
     * name; every other is named by its id, which {@link ConversationId} allows only as
     * {@code [A-Za-z0-9_-]{1,64}}, so it is a plain file name on every file system.
     */
    static String journalName(ConversationId id) {
        if (id.equals(ConversationId.DEFAULT)) {
            return JournalTranscriptStore.JOURNAL_FILE;
        }
        if (!ConversationId.isWellFormed(id.value())) {
            throw new IllegalArgumentException("not a conversation id");
        }
        return id.value() + JOURNAL_SUFFIX;
    }

    /** Removes a conversation's journal, index and cut tails, if there are any. */
    private void removeFiles(ConversationId id) throws IOException {
        Path home = home(id);
        if (!Files.isDirectory(home)) {
            return;
        }
        String journal = journalName(id);
        boolean removed = false;
        try (Stream<Path> listing = Files.list(home)) {
            for (Path file : listing.toList()) {
                if (JournalTranscriptStore.belongsTo(file.getFileName().toString(), journal)) {
                    try {
                        Files.delete(file);
                        removed = true;
                    } catch (NoSuchFileException gone) {
                        // removed meanwhile: as good
                    }
                }
            }
        }
        if (removed) {
            DataDirectory.forceEntries(home);
        }
    }

    /** Removes what a delete interrupted by a crash left behind. */
    private void finishDeletes() throws IOException {
        for (ConversationId id : log.deleted()) {
            removeFiles(id);
        }
    }

    /**
     * Takes in every journal that no catalogue record names: the transcript of the first release
     * ({@code companion.journal} and no catalogue), or journals left after the catalogue was moved aside.
     * Each becomes a conversation created when its first item was, titled by its first user message
     * as a new conversation would be.
     */
    private void takeInUnnamedJournals() throws IOException {
        List<ConversationId> unnamed = new ArrayList<>();
        if (Files.exists(directory.resolve(JournalTranscriptStore.JOURNAL_FILE))
                && !log.mentions(ConversationId.DEFAULT)) {
            unnamed.add(ConversationId.DEFAULT);
        }
        Path others = directory.resolve(CONVERSATIONS);
        if (Files.isDirectory(others)) {
            try (Stream<Path> listing = Files.list(others)) {
                for (Path file : listing.sorted().toList()) {
                    Matcher name = CONVERSATION_JOURNAL.matcher(file.getFileName().toString());
                    if (name.matches() && !name.group(1).equals(ConversationId.DEFAULT.value())) {
                        ConversationId id = new ConversationId(name.group(1));
                        if (!log.mentions(id)) {
                            unnamed.add(id);
                        }
                    }
                }
            }
        }
        for (ConversationId id : unnamed) {
            takeIn(id);
        }
    }

    /** How many items are searched for the user message a conversation taken in is titled by. */
    private static final int TITLE_SEARCH = 20;

    private void takeIn(ConversationId id) {
        Path home = home(id);
        JournalTranscriptStore transcript = JournalTranscriptStore.open(home, journalName(id), options, files, null, syncer);
        try {
            List<TranscriptItem> first = transcript.read(0, TITLE_SEARCH);
            Instant createdAt = first.isEmpty() ? options.clock().instant() : first.get(0).createdAt();
            Optional<String> title = first.stream().filter(item -> item.role() == Role.USER).findFirst()
                    .map(item -> ConversationTitle.fromFirstMessage(item.content()))
                    .filter(automatic -> !automatic.isEmpty());
            log.created(new StoredConversation(id, title, createdAt));
            transcripts.put(id, transcript);
        } catch (RuntimeException e) {
            transcript.close();
            throw e;
        }
    }

    /** Adds a warning when users other than the owner can reach the directories or their files. */
    private void checkPermissions() {
        try {
            List<DataDirectory.Exposure> exposures = DataDirectory.exposures(directory);
            if (!exposures.isEmpty()) {
                diagnostics.add(JournalReport.permissive(exposures));
            }
        } catch (IOException | RuntimeException unreadable) {
            // Permissions that cannot be read are no reason to refuse transcripts that can be.
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the catalogue is closed");
        }
    }
}
