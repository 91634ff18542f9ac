package dev.companion.store.journal;

import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;
import dev.companion.core.port.StorageException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a journal at start and decides what to do, changing nothing: where the intact records end,
 * which index entries to rewrite, which replies were cut short, and what the cut end held. Damage
 * before the tail throws.
 *
 * <p>The scan only checks frames (length, checksum, item sequence); it decodes nothing but the last
 * item, the progress written after it, the (rare) supersede records and the cut bytes, so a large
 * journal opens at the speed of reading it.
 */
final class JournalRecovery {

    /** A frame found by searching damaged bytes can be at most this long: it bounds the search's cost. */
    private static final int SEARCH_MAX_BODY = 1024 * 1024;
    private static final int SCAN_BUFFER = 2 * 1024 * 1024;
    /** At most this much of a cut tail is read to say what it held: more than a batch of the longest items. */
    private static final int DESCRIBE_MAX = 256 * 1024;
    /** At most this many index entries past the intact end are taken as items that were written there. */
    private static final int PLACED_MAX = 1000;

    /** A reply whose turn was still open at the end of the journal, with the text written for it. */
    record OpenTurn(TurnId turn, String text) {
    }

    /**
     * Something the end of the journal held that opening drops, as far as its damaged bytes can be read.
     * Nothing here says whether it was acknowledged: a crash during a write and damage to a file that was
     * written whole look the same.
     */
    sealed interface Lost {
    }

    /**
     * Item {@code sequence}, from the damaged record at {@code offset} ({@code length} bytes of it are
     * left). Role and turn are empty where their bytes are missing or do not fit the transcript.
     */
    record LostItem(long sequence, Optional<Role> role, Optional<TurnId> turn, long offset, long length)
            implements Lost {
    }

    /** Reply progress of {@code turn}, from the damaged record at {@code offset}. */
    record LostProgress(TurnId turn, long offset, long length) implements Lost {
    }

    /**
     * A change of status (items marked superseded) from the damaged record at {@code offset}: the items
     * themselves are kept, with the status they had before.
     */
    record LostStatusChange(long offset, long length) implements Lost {
    }

    /**
     * Bytes that do not form a readable record. {@code sequence} is the item they would have been had
     * they held one, or -1 when they follow a record named before them.
     */
    record Unreadable(long offset, long length, long sequence) implements Lost {
    }

    /** Item {@code sequence}, which the index places at {@code offset}, at or past the intact end: no byte of it is left. */
    record Missing(long sequence, long offset) implements Lost {
    }

    /**
     * What opening will do. Bytes from {@code goodEnd} to {@code fileSize} are cut (and kept);
     * index entries from {@code indexRewriteFrom} are replaced by {@code offsets}, flagged when in
     * {@code superseded}; {@code indexFixes} replaces single entries before that (a superseded flag
     * missing or wrong). {@code lost} says what the cut bytes held, and which items the index names that
     * the journal no longer has. {@code version} is the header's, {@code upgradeHeader} asks to rewrite a
     * header torn while it became version 2.
     */
    record Plan(boolean writeHeader, long goodEnd, long fileSize, long itemCount,
                long indexRewriteFrom, long[] offsets, List<OpenTurn> openTurns, List<Lost> lost,
                int version, boolean upgradeHeader, Set<Long> superseded, Map<Long, Long> indexFixes) {

        /** A journal with no item: a header is written, after {@code fileSize} torn bytes are cut. */
        static Plan empty(long fileSize, List<Lost> lost) {
            return new Plan(true, 0, fileSize, 0, 0, new long[0], List.of(), lost, JournalFormat.VERSION_1, false,
                    Set.of(), Map.of());
        }


        boolean cutsTail() {
            return goodEnd < fileSize;
        }

        /** The index entry for the item at {@code sequence} found at {@code offset}. */
        long entry(long sequence, long offset) {
            return superseded.contains(sequence) ? offset | JournalFormat.SUPERSEDED_FLAG : offset;
        }
    }

    private final JournalFile journal;
    private final JournalFile index;
    private final boolean fullScan;
    private FrameReader reader;
    private IndexCursor indexCursor;

    private JournalRecovery(JournalFile journal, JournalFile index, boolean fullScan) {
        this.journal = journal;
        this.index = index;
        this.fullScan = fullScan;
    }

    static Plan plan(JournalFile journal, JournalFile index, boolean fullScan) throws IOException {
        return new JournalRecovery(journal, index, fullScan).plan();
    }

    private Plan plan() throws IOException {
        long size = journal.size();
        indexCursor = new IndexCursor(index, index.size() / 8);
        if (size == 0) {
            return Plan.empty(0, missing(placedByIndex(JournalFormat.HEADER_SIZE, 0), 0, 0));
        }
        reader = new FrameReader(journal, size, SCAN_BUFFER);
        byte[] head = readHead(size);
        switch (JournalFormat.checkHeader(head)) {
            case VALID -> {
                return scan(size, JournalFormat.headerVersion(head), false);
            }
            case TORN_UPGRADE -> {
                return scan(size, JournalFormat.VERSION_2, true);
            }
            case NEWER_VERSION -> throw new StorageException(Diagnostic.error(DiagnosticCode.JOURNAL_UNSUPPORTED_VERSION,
                    "The transcript journal uses format version " + JournalFormat.headerVersion(head)
                            + ", which this server cannot read; run the newer server that wrote it."), null);
            case TORN -> {
                // A crash while the file was first written; but if records follow, it is damage, not a tear.
                if (size > JournalFormat.HEADER_SIZE && validFrameAfter(new FrameReader.Bad(0, -1, "a damaged header"), 0)) {
                    throw JournalCorruptedException.notAJournal();
                }
                // The header holds no item, but the index may say that items followed it.
                return Plan.empty(size, missing(placedByIndex(JournalFormat.HEADER_SIZE, 0), 0, 0));
            }
            default -> throw JournalCorruptedException.notAJournal();
        }
    }

    private byte[] readHead(long size) throws IOException {
        ByteBuffer head = ByteBuffer.allocate((int) Math.min(size, JournalFormat.HEADER_SIZE));
        long at = 0;
        while (head.hasRemaining()) {
            int read = journal.read(head, at);
            if (read < 0) {
                break;
            }
            at += read;
        }
        return Arrays.copyOf(head.array(), head.position());
    }

    private Plan scan(long size, int version, boolean upgradeHeader) throws IOException {
        long position = JournalFormat.HEADER_SIZE;
        long sequence = 0;
        boolean countingRecords = true;
        long indexed = indexCursor.entries();
        if (!fullScan && indexed > 0) {
            // Trust the index up to its last entry if that entry is the item it claims: verify only the tail.
            long last = indexCursor.entry(indexed - 1);
            if (last >= JournalFormat.HEADER_SIZE && last < size
                    && reader.at(last) instanceof FrameReader.Frame frame
                    && frame.type() == JournalFormat.ITEM
                    && JournalFormat.itemSequence(frame.body()) == indexed - 1) {
                position = last;
                sequence = indexed - 1;
                countingRecords = false;
            }
        }

        long firstScanned = sequence;
        long records = 0;
        long rewriteFrom = -1;
        Set<Long> superseded = new HashSet<>();
        Set<Long> flaggedInIndex = new HashSet<>();
        LongList offsets = new LongList();
        long lastItem = -1;
        List<Long> progressSinceLastItem = new ArrayList<>();
        long goodEnd;
        while (true) {
            FrameReader.Result result = reader.at(position);
            if (result instanceof FrameReader.End) {
                goodEnd = position;
                break;
            }
            if (result instanceof FrameReader.Bad bad) {
                if (validFrameAfter(bad, sequence)) {
                    throw JournalCorruptedException.atOpen(countingRecords ? records + 1 : 0, bad.offset(), sequence,
                            bad.reason());
                }
                goodEnd = bad.offset();
                break;
            }
            FrameReader.Frame frame = (FrameReader.Frame) result;
            records++;
            if (frame.type() == JournalFormat.ITEM) {
                long found = JournalFormat.itemSequence(frame.body());
                if (found != sequence) {
                    throw JournalCorruptedException.outOfPlace(countingRecords ? records : 0, position,
                            "holds item " + found + " where item " + sequence + " was expected");
                }
                if (rewriteFrom < 0 && indexCursor.entry(sequence) != position) {
                    rewriteFrom = sequence;
                }
                if (rewriteFrom < 0 && indexCursor.flagged(sequence)) {
                    flaggedInIndex.add(sequence);
                }
                if (rewriteFrom >= 0) {
                    offsets.add(position);
                }
                lastItem = position;
                progressSinceLastItem.clear();
                sequence++;
            } else if (frame.type() == JournalFormat.SUPERSEDE) {
                long[] named;
                try {
                    named = JournalFormat.decodeSupersede(frame.body());
                } catch (IllegalArgumentException malformed) {
                    throw JournalCorruptedException.outOfPlace(countingRecords ? records : 0, position,
                            "cannot be decoded");
                }
                for (long item : named) {
                    if (item < 0 || item >= sequence) {
                        throw JournalCorruptedException.outOfPlace(countingRecords ? records : 0, position,
                                "supersedes item " + item + ", which is not before it");
                    }
                    superseded.add(item);
                }
            } else {
                progressSinceLastItem.add(position);
            }
            position = frame.end();
        }
        long itemCount = sequence;
        if (rewriteFrom < 0) {
            rewriteFrom = itemCount;
        }
        TranscriptItem last = lastItem >= 0 ? decodeAt(lastItem) : null;
        List<OpenTurn> open = openTurns(last, progressSinceLastItem);
        List<Lost> lost = lost(goodEnd, size, itemCount, last);
        Map<Long, Long> fixes = flagFixes(firstScanned, rewriteFrom, superseded, flaggedInIndex);
        return new Plan(false, goodEnd, size, itemCount, rewriteFrom, offsets.toArray(), open, lost, version,
                upgradeHeader, Set.copyOf(superseded), fixes);
    }

    /**
     * Index entries kept (below {@code rewriteFrom}) whose superseded flag is wrong. Every item scanned
     * (from {@code firstScanned}) has all its supersede records in the scan, since a record follows the
     * items it names: its flag must be exactly that. Items before the scan (a tail-only check) keep the
     * flags the index gives them, plus those the records in the tail name.
     */
    private Map<Long, Long> flagFixes(long firstScanned, long rewriteFrom, Set<Long> superseded,
                                      Set<Long> flaggedInIndex) throws IOException {
        Map<Long, Long> fixes = new TreeMap<>();
        for (long item : superseded) {
            if (item < rewriteFrom && !indexCursor.flagged(item)) {
                fixes.put(item, indexCursor.entry(item) | JournalFormat.SUPERSEDED_FLAG);
            }
        }
        for (long item : flaggedInIndex) {
            if (item >= firstScanned && item < rewriteFrom && !superseded.contains(item)) {
                fixes.put(item, indexCursor.entry(item));
            }
        }
        return fixes;
    }

    /**
     * Turns left open at the end: the last item's turn when it is a user message with no reply after
     * it, and any turn with reply progress written after the last item.
     */
    private List<OpenTurn> openTurns(TranscriptItem item, List<Long> progress) throws IOException {
        Map<TurnId, StringBuilder> open = new LinkedHashMap<>();
        TurnId answered = null;
        if (item != null) {
            if (item.role() == Role.USER) {
                open.put(item.turnId(), new StringBuilder());
            } else {
                answered = item.turnId();
            }
        }
        for (long offset : progress) {
            if (!(reader.at(offset) instanceof FrameReader.Frame frame)) {
                throw new IOException("a record read a moment ago is no longer readable");
            }
            JournalFormat.Progress piece;
            try {
                piece = JournalFormat.decodeProgress(frame.body());
            } catch (IllegalArgumentException malformed) {
                throw JournalCorruptedException.outOfPlace(0, offset, "cannot be decoded");
            }
            if (piece.turn().equals(answered)) {
                continue; // progress of a reply that is stored whole (written late by an older version)
            }
            open.computeIfAbsent(piece.turn(), turn -> new StringBuilder()).append(piece.text());
        }
        List<OpenTurn> turns = new ArrayList<>();
        open.forEach((turn, text) -> turns.add(new OpenTurn(turn, text.toString())));
        return turns;
    }

    // --- what the end held --------------------------------------------------------------------

    /**
     * What the bytes from {@code goodEnd} to {@code size} held, record by record as far as lengths lead,
     * and then the items the index places past them. {@code last} is the last intact item, or null.
     */
    private List<Lost> lost(long goodEnd, long size, long itemCount, TranscriptItem last) throws IOException {
        long[] placed = placedByIndex(goodEnd, itemCount);
        List<Lost> lost = new ArrayList<>();
        long sequence = itemCount;
        if (goodEnd < size) {
            byte[] bytes = readRange(goodEnd, (int) Math.min(size - goodEnd, DESCRIBE_MAX));
            long at = goodEnd;
            while (at < size) {
                int from = (int) (at - goodEnd);
                long end = from < bytes.length ? recordEnd(bytes, from, at, size) : size;
                Lost record = from < bytes.length
                        ? damagedRecord(bytes, from, at, end - at, sequence, sequence - itemCount, placed, last)
                        : null;
                if (record == null) {
                    lost.add(new Unreadable(at, size - at, lost.isEmpty() ? sequence : -1));
                    break;
                }
                lost.add(record);
                if (record instanceof LostItem) {
                    sequence++;
                }
                at = end;
            }
        }
        lost.addAll(missing(placed, itemCount, sequence - itemCount));
        return lost;
    }

    /** The index's entries from {@code itemCount} on, if the first is {@code expectedAt} and each lies past the last. */
    private long[] placedByIndex(long expectedAt, long itemCount) throws IOException {
        LongList placed = new LongList();
        // An index entry is written only after its record: one for the next item, at the intact end,
        // says that item's record was written there once.
        if (indexCursor.entry(itemCount) != expectedAt) {
            return placed.toArray();
        }
        long after = -1;
        long stop = Math.min(indexCursor.entries(), itemCount + PLACED_MAX);
        for (long sequence = itemCount; sequence < stop; sequence++) {
            long offset = indexCursor.entry(sequence);
            if (offset <= after) {
                break;
            }
            placed.add(offset);
            after = offset + JournalFormat.FRAME_HEADER;
        }
        return placed.toArray();
    }

    /** Items the index places past the intact end that the cut bytes did not show (they showed the first {@code named}). */
    private static List<Lost> missing(long[] placed, long itemCount, long named) {
        List<Lost> missing = new ArrayList<>();
        for (long i = named; i < placed.length; i++) {
            missing.add(new Missing(itemCount + i, placed[(int) i]));
        }
        return missing;
    }

    /**
     * Where the damaged record at {@code at} ends: where its length leads if another record seems to
     * start there, otherwise at the end of the file (a damaged length leads into the middle of a body).
     */
    private static long recordEnd(byte[] bytes, int from, long at, long size) {
        if (from + JournalFormat.FRAME_HEADER > bytes.length) {
            return size;
        }
        int length = ByteBuffer.wrap(bytes).getInt(from);
        if (length < 1 || length > JournalFormat.MAX_BODY || at + JournalFormat.FRAME_HEADER + length >= size) {
            return size;
        }
        long next = at + JournalFormat.FRAME_HEADER + length;
        int nextFrom = (int) (next - at) + from;
        if (nextFrom + JournalFormat.FRAME_HEADER + 1 > bytes.length) {
            return size;
        }
        int nextLength = ByteBuffer.wrap(bytes).getInt(nextFrom);
        byte nextType = bytes[nextFrom + JournalFormat.FRAME_HEADER];
        boolean looksLikeARecord = nextLength >= 1 && nextLength <= JournalFormat.MAX_BODY
                && JournalFormat.isKnownType(nextType);
        return looksLikeARecord ? next : size;
    }

    /**
     * Reads what it can of the damaged record at {@code at}, which would be item {@code sequence} if
     * it is an item; null when its bytes say nothing that fits the transcript.
     */
    private static Lost damagedRecord(byte[] bytes, int from, long at, long length, long sequence, long placedIndex,
                                      long[] placed, TranscriptItem last) {
        boolean placedHere = placedIndex < placed.length && placed[(int) placedIndex] == at;
        int available = (int) Math.min(bytes.length - from, length);
        if (available > JournalFormat.FRAME_HEADER) {
            // The checksum failed or cannot be checked: each value read is kept only if it fits where it stands.
            int header = JournalFormat.FRAME_HEADER;
            ByteBuffer body = ByteBuffer.wrap(bytes, from + header, available - header).slice();
            byte type = body.get(0);
            if (type == JournalFormat.ITEM) {
                JournalFormat.ItemHead head = JournalFormat.readItemHead(body);
                if (head.sequence().isEmpty() || head.sequence().getAsLong() == sequence) {
                    Optional<TurnId> turn = head.turn();
                    boolean answersLast = last != null && last.role() == Role.USER;
                    if (head.role().equals(Optional.of(Role.ASSISTANT)) && answersLast
                            && !turn.equals(Optional.of(last.turnId()))) {
                        turn = Optional.empty(); // a reply answers the user item before it
                    }
                    return new LostItem(sequence, head.role(), turn, at, length);
                }
            } else if (type == JournalFormat.SUPERSEDE && !placedHere) {
                return new LostStatusChange(at, length);
            } else if (type == JournalFormat.PROGRESS && !placedHere) {
                Optional<TurnId> turn = JournalFormat.readProgressTurn(body);
                // Progress follows the item of its turn.
                if (turn.isPresent() && last != null && turn.get().equals(last.turnId())) {
                    return new LostProgress(turn.get(), at, length);
                }
            }
        }
        return placedHere ? new LostItem(sequence, Optional.empty(), Optional.empty(), at, length) : null;
    }

    private byte[] readRange(long from, int count) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(count);
        while (bytes.hasRemaining()) {
            if (journal.read(bytes, from + bytes.position()) < 0) {
                throw new IOException("the journal ended before its expected size");
            }
        }
        return bytes.array();
    }

    private TranscriptItem decodeAt(long offset) throws IOException {
        if (!(reader.at(offset) instanceof FrameReader.Frame frame)) {
            throw new IOException("a record read a moment ago is no longer readable");
        }
        try {
            return JournalFormat.decodeItem(frame.body());
        } catch (IllegalArgumentException malformed) {
            throw JournalCorruptedException.outOfPlace(0, offset, "cannot be decoded");
        }
    }

    /**
     * Whether any intact frame lies after damaged bytes: then the damage is not a torn tail, and
     * cutting there would lose acknowledged items.
     */
    private boolean validFrameAfter(FrameReader.Bad bad, long sequence) throws IOException {
        long limit = reader.limit();
        // Most damage is inside a body: the length still leads to the next frame.
        if (bad.length() >= 1 && bad.length() <= JournalFormat.MAX_BODY) {
            long next = bad.offset() + JournalFormat.FRAME_HEADER + bad.length();
            if (next < limit && reader.at(next) instanceof FrameReader.Frame) {
                return true;
            }
        }
        // The index may know where later items are.
        long indexed = indexCursor.entries();
        for (long entry : new long[] {sequence, indexed - 1}) {
            if (entry >= sequence && entry < indexed) {
                long offset = indexCursor.entry(entry);
                if (offset > bad.offset() && offset < limit && reader.at(offset) instanceof FrameReader.Frame) {
                    return true;
                }
            }
        }
        // Otherwise look for a frame at every later byte (bounded in length, so the search stays cheap).
        for (long at = bad.offset() + 1; at + JournalFormat.FRAME_HEADER < limit; at++) {
            if (reader.at(at, SEARCH_MAX_BODY) instanceof FrameReader.Frame) {
                return true;
            }
        }
        return false;
    }

    /** Reads index entries through a buffer; fastest in increasing order. */
    static final class IndexCursor {

        private final JournalFile file;
        private final long entries;
        private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        private long first = 0;
        private long count = 0;

        IndexCursor(JournalFile file, long entries) {
            this.file = file;
            this.entries = entries;
        }

        long entries() {
            return entries;
        }

        /** The offset the index records for {@code sequence}, or -1 when it has none. */
        long entry(long sequence) throws IOException {
            long raw = raw(sequence);
            return raw == -1 ? -1 : raw & ~JournalFormat.SUPERSEDED_FLAG;
        }

        /** Whether the index marks the item at {@code sequence} superseded. */
        boolean flagged(long sequence) throws IOException {
            long raw = raw(sequence);
            return raw != -1 && (raw & JournalFormat.SUPERSEDED_FLAG) != 0;
        }

        private long raw(long sequence) throws IOException {
            if (sequence < 0 || sequence >= entries) {
                return -1;
            }
            if (sequence < first || sequence >= first + count) {
                buffer.clear();
                long want = Math.min(buffer.capacity() / 8, entries - sequence) * 8;
                buffer.limit((int) want);
                long at = sequence * 8;
                while (buffer.hasRemaining()) {
                    int read = file.read(buffer, at);
                    if (read < 0) {
                        break;
                    }
                    at += read;
                }
                buffer.flip();
                first = sequence;
                count = buffer.limit() / 8;
                if (count == 0) {
                    return -1;
                }
            }
            return buffer.getLong((int) (sequence - first) * 8);
        }
    }

    /** A growable list of longs, so a rebuilt index of a million items costs 8 MB, not 24. */
    static final class LongList {

        private long[] values = new long[16];
        private int size;

        void add(long value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
