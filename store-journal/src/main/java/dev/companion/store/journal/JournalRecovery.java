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
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a journal at start and decides what to do, changing nothing: where the intact records end,
 * which index entries to rewrite, which replies were cut short. Damage before the tail throws.
 *
 * <p>The scan only checks frames (length, checksum, item sequence); it decodes nothing but the last
 * item, the progress written after it and the (rare) supersede records, so a large journal opens at
 * the speed of reading it.
 */
final class JournalRecovery {

    /** A frame found by searching damaged bytes can be at most this long: it bounds the search's cost. */
    private static final int SEARCH_MAX_BODY = 1024 * 1024;
    private static final int SCAN_BUFFER = 2 * 1024 * 1024;

    /** A reply whose turn was still open at the end of the journal, with the text written for it. */
    record OpenTurn(TurnId turn, String text) {
    }

    /**
     * What opening will do. Bytes from {@code goodEnd} to {@code fileSize} are cut (and kept);
     * index entries from {@code indexRewriteFrom} are replaced by {@code offsets}, flagged when in
     * {@code superseded}; {@code indexFixes} replaces single entries before that (a superseded flag
     * missing or wrong). {@code version} is the header's, {@code upgradeHeader} asks to rewrite a header
     * torn while it became version 2.
     */
    record Plan(boolean writeHeader, long goodEnd, long fileSize, long itemCount,
                long indexRewriteFrom, long[] offsets, List<OpenTurn> openTurns,
                int version, boolean upgradeHeader, Set<Long> superseded, Map<Long, Long> indexFixes) {

        static Plan empty(long fileSize) {
            return new Plan(true, 0, fileSize, 0, 0, new long[0], List.of(), JournalFormat.VERSION_1, false,
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
        if (size == 0) {
            return Plan.empty(0);
        }
        reader = new FrameReader(journal, size, SCAN_BUFFER);
        indexCursor = new IndexCursor(index, index.size() / 8);
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
                return Plan.empty(size);
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
        List<OpenTurn> open = openTurns(lastItem, progressSinceLastItem);
        Map<Long, Long> fixes = flagFixes(firstScanned, rewriteFrom, superseded, flaggedInIndex);
        return new Plan(false, goodEnd, size, itemCount, rewriteFrom, offsets.toArray(), open, version, upgradeHeader,
                Set.copyOf(superseded), fixes);
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
    private List<OpenTurn> openTurns(long lastItem, List<Long> progress) throws IOException {
        Map<TurnId, StringBuilder> open = new LinkedHashMap<>();
        TurnId answered = null;
        if (lastItem >= 0) {
            TranscriptItem item = decodeAt(lastItem);
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
