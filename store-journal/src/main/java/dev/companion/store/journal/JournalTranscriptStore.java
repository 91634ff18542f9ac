package dev.companion.store.journal;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.StorageException;
import dev.companion.core.port.TranscriptStore;
import dev.companion.store.journal.JournalConversationCatalog.Commit;
import dev.companion.store.journal.JournalConversationCatalog.Options;
import dev.companion.store.journal.JournalConversationCatalog.Verification;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One conversation's transcript kept in an append-only journal file, so the conversation survives
 * restarts, crashes and failing disks. {@link JournalConversationCatalog} opens one per conversation.
 *
 * <ul>
 *   <li>Each record is framed with its length and a CRC32C; the file starts with a versioned header
 *       (see {@code JournalFormat}).</li>
 *   <li>{@link #append} returns only after the record is forced to disk. Appends that arrive while a
 *       force runs wait and share the next one (group commit).</li>
 *   <li>Reply progress is buffered and written without a force of its own; it becomes durable with the
 *       next force, at the latest after {@link Options#progressSyncInterval()}. A reply cut short by a
 *       crash is appended, at the next open, as an {@code interrupted} item with that text.</li>
 *   <li>A failed write or force is undone (the file is cut back to its last durable end) and reported as
 *       {@link StorageException}; if even that fails, the store refuses further appends.</li>
 *   <li>At open a torn or garbage tail is cut and kept beside the journal in a {@code .broken} file, and
 *       every item it held is named in a warning that says it may have been acknowledged (a repair cannot
 *       know); damage before the tail refuses the open ({@link JournalCorruptedException}) and changes
 *       nothing.</li>
 *   <li>{@link #supersede} appends a status-change record, forced like an append; the items it names are
 *       read back {@code superseded}, nothing else about them changed.</li>
 *   <li>An index of item offsets ({@code companion.journal.idx}, 8 bytes per item, with a flag for a
 *       superseded item) makes any page cost the same; it is derived data, checked and rebuilt at open.</li>
 *   <li>The files are created readable by their owner only. The catalogue holds the data directory's lock
 *       for all its journals and checks who else can reach them; {@link #open(Path, Options)} (a journal
 *       alone, for tests) takes the lock itself and warns when others can write to the directory or read
 *       or write its files.</li>
 * </ul>
 */
final class JournalTranscriptStore implements TranscriptStore {

    static final String JOURNAL_FILE = "companion.journal";
    static final String INDEX_FILE = "companion.journal.idx";

    /** The source of a reply recovered at start: the provider that wrote it is not known any more. */
    static final String RECOVERED_SOURCE = "recovered";

    /** Buffered progress is written (not forced) once this many characters wait, so memory stays small. */
    private static final int PROGRESS_WRITE_CHARS = 4096;

    private final Path directory;
    private final String journalName;
    private final Options options;
    /** Held by this store only when it was opened alone; a catalogue's journals share the catalogue's. */
    private final DataDirectory.Lock directoryLock;
    private final JournalFile journal;
    private final JournalFile index;
    private final List<Diagnostic> diagnostics = new ArrayList<>();
    /** The catalogue's thread for periodic forces, or null to start one of its own. */
    private final ScheduledExecutorService sharedSyncer;
    private ScheduledExecutorService ownSyncer;
    private ScheduledFuture<?> syncTask;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition forceDone = lock.newCondition();
    // Guarded by lock:
    private long end;
    private long durableEnd;
    private long nextSequence;
    private int version;
    private boolean forcing;
    private List<Pending> unforced = new ArrayList<>();
    private final Map<TurnId, StringBuilder> progress = new LinkedHashMap<>();
    private int progressChars;
    private Throwable failure;
    private boolean closed;
    // Written under lock, read without: items below it are durable and their index entries written.
    private volatile long visibleSize;

    /** An append (or a sync) waiting for its bytes to be forced. */
    private static final class Pending {
        final long visibleAfter;
        boolean done;
        Throwable failed;

        Pending(long visibleAfter) {
            this.visibleAfter = visibleAfter;
        }
    }

    private JournalTranscriptStore(Path directory, String journalName, Options options,
                                   DataDirectory.Lock directoryLock, JournalFile journal, JournalFile index,
                                   ScheduledExecutorService sharedSyncer) {
        this.directory = directory;
        this.journalName = journalName;
        this.options = options;
        this.directoryLock = directoryLock;
        this.journal = journal;
        this.index = index;
        this.sharedSyncer = sharedSyncer;
    }

    /**
     * Opens (creating if missing) the journal {@code companion.journal} in {@code directory} on its own,
     * holding the directory's lock: the journal of the default conversation, without a catalogue. Throws
     * {@link DataDirectoryLockedException} when another store holds the directory, {@link
     * JournalCorruptedException} when the journal is damaged before its tail, and {@link StorageException}
     * when it cannot be read.
     */
    static JournalTranscriptStore open(Path directory, Options options) {
        return open(directory, options, JournalFile.Opener.CHANNELS);
    }

    static JournalTranscriptStore open(Path directory, Options options, JournalFile.Opener files) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(options, "options");
        DataDirectory.Lock held;
        try {
            held = DataDirectory.createAndLock(directory);
        } catch (IOException e) {
            throw openFailed(e);
        }
        try {
            return open(directory, JOURNAL_FILE, options, files, held, null);
        } catch (RuntimeException e) {
            held.close();
            throw e;
        }
    }

    /**
     * Opens (creating if missing) the journal {@code journalName} and its index in {@code directory},
     * whose lock the caller holds, repairing a torn tail and recovering a reply cut short. Periodic
     * forces run on {@code syncer} when given.
     */
    static JournalTranscriptStore open(Path directory, String journalName, Options options, JournalFile.Opener files,
                                       DataDirectory.Lock held, ScheduledExecutorService syncer) {
        JournalFile journal = null;
        JournalFile index = null;
        try {
            journal = files.open(directory.resolve(journalName));
            index = files.open(directory.resolve(indexName(journalName)));
            JournalTranscriptStore store = new JournalTranscriptStore(directory, journalName, options, held, journal,
                    index, syncer);
            if (held != null) {
                // Opened alone, it owns the directory; a catalogue checks its directory once for all journals.
                store.checkPermissions();
            }
            store.recover();
            store.startSyncer();
            return store;
        } catch (IOException | RuntimeException e) {
            closeQuietly(index);
            closeQuietly(journal);
            if (e instanceof StorageException storage) {
                throw storage;
            }
            throw openFailed(e);
        }
    }

    static String indexName(String journalName) {
        return journalName + ".idx";
    }

    /** Whether {@code fileName} is a piece of the journal {@code journalName}: itself, its index, a cut tail. */
    static boolean belongsTo(String fileName, String journalName) {
        return fileName.equals(journalName) || fileName.equals(indexName(journalName))
                || (fileName.startsWith(journalName + ".") && fileName.endsWith(".broken"));
    }

    private static StorageException openFailed(Exception cause) {
        return new StorageException(Diagnostic.error(DiagnosticCode.STORAGE_READ_FAILED,
                "The transcript journal could not be opened."), cause);
    }

    // --- open ---------------------------------------------------------------------------------

    private void recover() throws IOException {
        JournalRecovery.Plan plan = JournalRecovery.plan(journal, index, options.verification() == Verification.FULL);
        Optional<String> broken = Optional.empty();
        if (plan.cutsTail()) {
            broken = Optional.of(keepBrokenTail(plan.goodEnd(), plan.fileSize()));
            journal.truncate(plan.goodEnd());
            journal.force();
        }
        if (plan.cutsTail() || !plan.lost().isEmpty()) {
            diagnostics.add(JournalReport.tailRepaired(plan, broken));
        }
        long start = plan.goodEnd();
        version = plan.version();
        if (plan.writeHeader()) {
            journal.truncate(0);
            journal.write(JournalFormat.header(), 0);
            journal.force();
            DataDirectory.forceEntries(directory);
            start = JournalFormat.HEADER_SIZE;
            version = JournalFormat.VERSION_1;
        } else if (plan.upgradeHeader()) {
            // A crash while the header became version 2: finish what was started.
            journal.write(JournalFormat.header(JournalFormat.VERSION_2), 0);
            journal.force();
        }
        rewriteIndex(plan);
        end = start;
        durableEnd = start;
        nextSequence = plan.itemCount();
        visibleSize = plan.itemCount();

        List<TranscriptEntry> recovered = new ArrayList<>();
        for (JournalRecovery.OpenTurn open : plan.openTurns()) {
            recovered.add(new TranscriptEntry(Role.ASSISTANT, open.text(), options.clock().instant(),
                    RECOVERED_SOURCE, ItemStatus.INTERRUPTED, open.turn()));
        }
        if (!recovered.isEmpty()) {
            List<TranscriptItem> added = appendAll(recovered);
            for (int i = 0; i < added.size(); i++) {
                diagnostics.add(JournalReport.recoveredReply(plan.openTurns().get(i), added.get(i).sequence(), plan.lost()));
            }
        }
    }

    /** Adds a warning when users other than the owner can reach the directory or its files. */
    private void checkPermissions() {
        try {
            List<DataDirectory.Exposure> exposures = DataDirectory.exposures(directory);
            if (!exposures.isEmpty()) {
                diagnostics.add(JournalReport.permissive(exposures));
            }
        } catch (IOException | RuntimeException unreadable) {
            // Permissions that cannot be read are no reason to refuse a transcript that can.
        }
    }

    /** Copies the bytes to a new file beside the journal; returns its base name. */
    private String keepBrokenTail(long from, long to) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(to - from));
        long at = from;
        while (bytes.hasRemaining()) {
            if (journal.read(bytes, at) < 0) {
                throw new IOException("the journal ended before its expected size");
            }
            at = from + bytes.position();
        }
        bytes.flip();
        return DataDirectory.keepBroken(directory, journalName, options.clock().instant(), bytes);
    }

    private void rewriteIndex(JournalRecovery.Plan plan) throws IOException {
        long keep = plan.indexRewriteFrom() * 8;
        if (index.size() > keep) {
            index.truncate(keep);
        }
        long[] offsets = plan.offsets();
        int chunk = 8192;
        for (int from = 0; from < offsets.length; from += chunk) {
            int count = Math.min(chunk, offsets.length - from);
            ByteBuffer buffer = ByteBuffer.allocate(count * 8);
            for (int i = 0; i < count; i++) {
                buffer.putLong(plan.entry(plan.indexRewriteFrom() + from + i, offsets[from + i]));
            }
            index.write(buffer.flip(), keep + (long) from * 8);
        }
        for (Map.Entry<Long, Long> fix : plan.indexFixes().entrySet()) {
            index.write(ByteBuffer.allocate(8).putLong(0, fix.getValue()), fix.getKey() * 8);
        }
    }

    private void startSyncer() {
        Duration interval = options.progressSyncInterval();
        if (interval.isZero()) {
            return;
        }
        ScheduledExecutorService syncer = sharedSyncer;
        if (syncer == null) {
            ownSyncer = syncThread();
            syncer = ownSyncer;
        }
        long nanos = interval.toNanos();
        syncTask = syncer.scheduleWithFixedDelay(this::syncQuietly, nanos, nanos, TimeUnit.NANOSECONDS);
    }

    /** A daemon thread for periodic forces of reply progress. */
    static ScheduledExecutorService syncThread() {
        return Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "companion-journal-sync");
            thread.setDaemon(true);
            return thread;
        });
    }

    // --- the port -----------------------------------------------------------------------------

    @Override
    public TranscriptItem append(TranscriptEntry entry) {
        return appendAll(List.of(Objects.requireNonNull(entry, "entry"))).get(0);
    }

    /**
     * Appends several entries with one force: all are stored, or (on a failure) none. For moving a
     * transcript in, and for tests and benchmarks that need a long journal quickly.
     */
    public List<TranscriptItem> appendAll(List<TranscriptEntry> entries) {
        List<TranscriptEntry> batch = List.copyOf(entries);
        if (batch.isEmpty()) {
            return List.of();
        }
        lock.lock();
        try {
            checkWritable();
            if (version == JournalFormat.VERSION_1 && batch.stream()
                    .anyMatch(entry -> !JournalFormat.readableByVersion1(entry.at(0)))) {
                upgradeHeader();
            }
            Set<TurnId> replied = new HashSet<>();
            for (TranscriptEntry entry : batch) {
                if (entry.role() == Role.ASSISTANT) {
                    replied.add(entry.turnId());
                }
            }
            // Progress of other turns goes first so the file keeps the order things happened in.
            writeProgress(replied);

            long start = end;
            long firstSequence = nextSequence;
            List<TranscriptItem> items = new ArrayList<>(batch.size());
            List<ByteBuffer> bodies = new ArrayList<>(batch.size());
            int bytes = 0;
            for (int i = 0; i < batch.size(); i++) {
                TranscriptItem item = batch.get(i).at(firstSequence + i);
                ByteBuffer body = JournalFormat.itemBody(item);
                items.add(item);
                bodies.add(body);
                bytes += JournalFormat.framedSize(body);
            }
            ByteBuffer records = ByteBuffer.allocate(bytes);
            ByteBuffer offsets = ByteBuffer.allocate(batch.size() * 8);
            for (ByteBuffer body : bodies) {
                offsets.putLong(start + records.position());
                JournalFormat.frame(body, records);
            }
            try {
                journal.write(records.flip(), start);
                index.write(offsets.flip(), firstSequence * 8);
            } catch (IOException | RuntimeException e) {
                cutBackTo(start, e);
                // An index entry past the end would tell the next open that an item was written there.
                trimIndex(firstSequence);
                throw StorageException.writeFailed(e);
            }
            end = start + bytes;
            nextSequence = firstSequence + batch.size();
            // The replies are written whole: drop their buffered progress now, before the force lets go
            // of the lock, or a periodic sync could write it after the reply and a restart would
            // recover the turn a second time as interrupted.
            for (TurnId turn : replied) {
                StringBuilder dropped = progress.remove(turn);
                if (dropped != null) {
                    progressChars -= dropped.length();
                }
            }
            Pending pending = new Pending(nextSequence);
            unforced.add(pending);
            awaitForced(pending);
            if (pending.failed != null) {
                throw StorageException.writeFailed(pending.failed);
            }
            return List.copyOf(items);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends a SUPERSEDE record and forces it, then flags the items in the index and forces that, all
     * under the lock: no item is appended (and indexed) after the record before its flags are durable,
     * so an open that trusts the index up to its last item still finds every flag, or finds the record
     * in the tail it checks. Any failure undoes the record and the flags.
     */
    @Override
    public void supersede(Set<Long> sequences) {
        Objects.requireNonNull(sequences, "sequences");
        long size = visibleSize;
        for (Long sequence : sequences) {
            if (sequence == null || sequence < 0 || sequence >= size) {
                throw new IllegalArgumentException("no item at sequence " + sequence);
            }
        }
        lock.lock();
        try {
            checkWritable();
            long[] named = notYetSuperseded(sequences);
            if (named.length == 0) {
                return;
            }
            while (forcing) {
                forceDone.awaitUninterruptibly();
            }
            checkWritable();
            if (version == JournalFormat.VERSION_1) {
                upgradeHeader();
            }
            ByteBuffer body = JournalFormat.supersedeBody(named);
            ByteBuffer record = ByteBuffer.allocate(JournalFormat.framedSize(body));
            JournalFormat.frame(body, record);
            long start = end;
            try {
                journal.write(record.flip(), start);
            } catch (IOException | RuntimeException e) {
                cutBackTo(start, e);
                throw StorageException.writeFailed(e);
            }
            end = start + record.limit();
            Pending pending = new Pending(-1);
            unforced.add(pending);
            forceWritten(false);
            if (pending.failed != null) {
                throw StorageException.writeFailed(pending.failed);
            }
            try {
                writeFlags(named, true);
                index.force();
            } catch (IOException | RuntimeException e) {
                undoSupersede(named, start, e);
                throw StorageException.writeFailed(e);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The named sequences whose index entries are not flagged yet, in order. */
    private long[] notYetSuperseded(Set<Long> sequences) {
        long[] sorted = sequences.stream().mapToLong(Long::longValue).sorted().toArray();
        JournalRecovery.LongList fresh = new JournalRecovery.LongList();
        try {
            for (long sequence : sorted) {
                if (!superseded(indexEntry(sequence))) {
                    fresh.add(sequence);
                }
            }
        } catch (IOException e) {
            throw StorageException.readFailed(e);
        }
        return fresh.toArray();
    }

    /**
     * Rewrites a version 1 header as version 2 before the journal's first record the first release cannot
     * read. If this fails, the header may be either on disk: a version 2 journal without such records is
     * as good.
     */
    private void upgradeHeader() {
        try {
            journal.write(JournalFormat.header(JournalFormat.VERSION_2), 0);
            journal.force();
            version = JournalFormat.VERSION_2;
        } catch (IOException | RuntimeException e) {
            throw StorageException.writeFailed(e);
        }
    }

    private void writeFlags(long[] sequences, boolean superseded) throws IOException {
        for (long sequence : sequences) {
            long entry = indexEntry(sequence);
            long offset = entry & ~JournalFormat.SUPERSEDED_FLAG;
            index.write(ByteBuffer.allocate(8).putLong(0, superseded ? offset | JournalFormat.SUPERSEDED_FLAG : offset),
                    sequence * 8);
        }
    }

    /** The record is durable but its flags are not: cut the record and clear the flags, or refuse appends. */
    private void undoSupersede(long[] named, long recordStart, Throwable cause) {
        try {
            writeFlags(named, false);
            journal.truncate(recordStart);
            journal.force();
            end = recordStart;
            durableEnd = recordStart;
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
            failure = cause;
        }
    }

    @Override
    public long size() {
        return visibleSize;
    }

    @Override
    public List<TranscriptItem> read(long start, int limit) {
        if (start < 0) {
            throw new IllegalArgumentException("start must not be negative");
        }
        long size = visibleSize;
        if (start >= size || limit <= 0) {
            return List.of();
        }
        int count = (int) Math.min(limit, size - start);
        try {
            // The next item's offset bounds the page, so most pages take one read of the journal.
            boolean bounded = start + count < size;
            long[] entries = indexEntries(start, bounded ? count + 1 : count);
            long from = entries[0] & ~JournalFormat.SUPERSEDED_FLAG;
            long to = bounded ? entries[count] & ~JournalFormat.SUPERSEDED_FLAG : -1;
            int capacity = to > from ? (int) Math.min(to - from, JournalFormat.MAX_BODY) : 64 * 1024;
            FrameReader reader = new FrameReader(journal, journal.size(), capacity);
            List<TranscriptItem> items = new ArrayList<>(count);
            long position = from;
            long expected = start;
            while (items.size() < count) {
                FrameReader.Result result = reader.at(position);
                if (!(result instanceof FrameReader.Frame frame)) {
                    throw JournalCorruptedException.atRead(position, expected);
                }
                if (frame.type() == JournalFormat.ITEM) {
                    TranscriptItem item;
                    try {
                        item = JournalFormat.decodeItem(frame.body());
                    } catch (IllegalArgumentException malformed) {
                        throw JournalCorruptedException.atRead(position, expected);
                    }
                    if (item.sequence() != expected) {
                        throw JournalCorruptedException.atRead(position, expected);
                    }
                    items.add(superseded(entries[(int) (expected - start)]) ? supersededCopy(item) : item);
                    expected++;
                }
                position = frame.end();
            }
            return List.copyOf(items);
        } catch (IOException e) {
            throw StorageException.readFailed(e);
        }
    }

    private long indexEntry(long sequence) throws IOException {
        return indexEntries(sequence, 1)[0];
    }

    /** {@code count} index entries from {@code first}'s, in one read: offsets with their superseded flags. */
    private long[] indexEntries(long first, int count) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(count * 8L));
        long at = first * 8;
        while (buffer.hasRemaining()) {
            if (index.read(buffer, at + buffer.position()) < 0) {
                throw new IOException("the index is shorter than the transcript");
            }
        }
        long[] entries = new long[count];
        for (int i = 0; i < count; i++) {
            entries[i] = buffer.getLong(i * 8);
            long offset = entries[i] & ~JournalFormat.SUPERSEDED_FLAG;
            if (offset < JournalFormat.HEADER_SIZE) {
                throw JournalCorruptedException.atRead(offset, first + i);
            }
        }
        return entries;
    }

    private static boolean superseded(long entry) {
        return (entry & JournalFormat.SUPERSEDED_FLAG) != 0;
    }

    private static TranscriptItem supersededCopy(TranscriptItem item) {
        return item.withStatus(ItemStatus.SUPERSEDED);
    }

    @Override
    public void recordReplyProgress(TurnId turn, String delta) {
        if (turn == null || delta == null || delta.isEmpty()) {
            return;
        }
        lock.lock();
        try {
            if (closed || failure != null) {
                return;
            }
            progress.computeIfAbsent(turn, t -> new StringBuilder()).append(delta);
            progressChars += delta.length();
            if (progressChars >= PROGRESS_WRITE_CHARS) {
                writeProgress(Set.of());
            }
        } catch (RuntimeException bestEffort) {
            // Progress is a help for recovery, never a reason to fail a reply.
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<Diagnostic> diagnostics() {
        return List.copyOf(diagnostics);
    }

    /** Writes buffered progress and forces everything written so far. */
    void sync() {
        lock.lock();
        try {
            if (closed || failure != null) {
                return;
            }
            writeProgress(Set.of());
            if (end > durableEnd || !unforced.isEmpty()) {
                Pending pending = new Pending(-1);
                unforced.add(pending);
                awaitForced(pending);
            }
        } finally {
            lock.unlock();
        }
    }

    private void syncQuietly() {
        try {
            sync();
        } catch (RuntimeException ignored) {
            // the next append reports a failing disk to its caller
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            try {
                sync();
            } catch (RuntimeException ignored) {
                // closing anyway; what was acknowledged was forced already
            }
            closed = true;
            while (forcing) {
                forceDone.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        release();
    }

    /** Lets go of the files as a killed process would: buffered progress is lost, nothing is forced. */
    void abandon() {
        lock.lock();
        try {
            closed = true;
        } finally {
            lock.unlock();
        }
        release();
    }

    private void release() {
        if (syncTask != null) {
            syncTask.cancel(false);
        }
        if (ownSyncer != null) {
            ownSyncer.shutdownNow();
        }
        try {
            index.force();
        } catch (IOException | RuntimeException ignored) {
            // the index is rebuilt at the next open if it is behind
        }
        closeQuietly(index);
        closeQuietly(journal);
        if (directoryLock != null) {
            directoryLock.close();
        }
    }

    // --- writing ------------------------------------------------------------------------------

    private void checkWritable() {
        if (closed) {
            throw new IllegalStateException("the journal is closed");
        }
        if (failure != null) {
            throw StorageException.writeFailed(failure);
        }
    }

    /** Writes the buffered progress of every turn but {@code skip} as records; forces nothing. */
    private void writeProgress(Collection<TurnId> skip) {
        if (progress.isEmpty()) {
            return;
        }
        List<ByteBuffer> bodies = new ArrayList<>();
        int bytes = 0;
        var entries = progress.entrySet().iterator();
        while (entries.hasNext()) {
            var entry = entries.next();
            if (skip.contains(entry.getKey())) {
                continue;
            }
            ByteBuffer body = JournalFormat.progressBody(entry.getKey(), entry.getValue().toString());
            bodies.add(body);
            bytes += JournalFormat.framedSize(body);
            progressChars -= entry.getValue().length();
            entries.remove();
        }
        if (bodies.isEmpty()) {
            return;
        }
        ByteBuffer records = ByteBuffer.allocate(bytes);
        bodies.forEach(body -> JournalFormat.frame(body, records));
        long start = end;
        try {
            journal.write(records.flip(), start);
            end = start + bytes;
        } catch (IOException | RuntimeException e) {
            // Best effort: the text is lost for recovery, the reply itself is unaffected.
            cutBackTo(start, e);
        }
    }

    /** Undoes a failed write. If even that fails, a half record may sit at the end: refuse further appends. */
    private void cutBackTo(long offset, Throwable cause) {
        try {
            journal.truncate(offset);
            end = offset;
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
            failure = cause;
        }
    }

    /**
     * Waits until {@code pending}'s bytes are forced. With group commit, the first waiter to find no force
     * running leads one for everything written so far; the others wait for it and are done together.
     */
    private void awaitForced(Pending pending) {
        while (!pending.done && pending.failed == null) {
            if (options.commit() == Commit.EACH) {
                forceWritten(false);
            } else if (forcing) {
                forceDone.awaitUninterruptibly();
            } else {
                forceWritten(true);
            }
        }
    }

    /** Forces all bytes written so far; with {@code shareLock}, lets others write meanwhile. */
    private void forceWritten(boolean shareLock) {
        forcing = true;
        List<Pending> batch = unforced;
        unforced = new ArrayList<>();
        long target = end;
        Throwable error = null;
        if (shareLock) {
            lock.unlock();
        }
        try {
            journal.force();
        } catch (IOException | RuntimeException e) {
            error = e;
        } finally {
            if (shareLock) {
                lock.lock();
            }
            forcing = false;
        }
        if (error == null) {
            durableEnd = Math.max(durableEnd, target);
            for (Pending done : batch) {
                done.done = true;
                if (done.visibleAfter > visibleSize) {
                    visibleSize = done.visibleAfter;
                }
            }
        } else {
            failForced(batch, error);
        }
        forceDone.signalAll();
    }

    /**
     * A force failed: nothing after the last durable end is known to be on disk, so it is all cut, and
     * every append written after it fails (written records of waiters that would lead the next force too).
     */
    private void failForced(List<Pending> batch, Throwable error) {
        for (Pending failed : batch) {
            failed.failed = error;
        }
        for (Pending failed : unforced) {
            failed.failed = error;
        }
        unforced = new ArrayList<>();
        nextSequence = visibleSize;
        cutBackTo(durableEnd, error);
        trimIndex(visibleSize);
    }

    /** Drops index entries from {@code sequence} on, best effort. */
    private void trimIndex(long sequence) {
        try {
            if (index.size() > sequence * 8) {
                index.truncate(sequence * 8);
            }
        } catch (IOException | RuntimeException ignored) {
            // Stale entries past the end are overwritten by the next appends and trimmed at the next open; until
            // then, an open after a crash may name their items as possibly lost, which errs on the honest side.
        }
    }

    private static void closeQuietly(JournalFile file) {
        if (file == null) {
            return;
        }
        try {
            file.close();
        } catch (IOException | RuntimeException ignored) {
            // nothing left to save
        }
    }
}
