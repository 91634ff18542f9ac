package dev.companion.store.journal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.IntPredicate;

/**
 * Reads frames from a journal file through one buffer, checking each frame's length and checksum.
 * A returned frame's body is a view of the buffer: valid until the next call.
 */
final class FrameReader {

    /** What lies at an offset. */
    sealed interface Result permits Frame, Bad, End {
    }

    /** A whole frame whose checksum matches and whose type is known. */
    record Frame(long offset, int length, ByteBuffer body) implements Result {

        byte type() {
            return body.get(body.position());
        }

        long end() {
            return offset + JournalFormat.FRAME_HEADER + length;
        }
    }

    /** Bytes that are not a whole, intact frame. {@code length} is the length field, or -1 if absent. */
    record Bad(long offset, int length, String reason) implements Result {
    }

    /** The end of the readable bytes, exactly at a frame boundary. */
    record End(long offset) implements Result {
    }

    private final JournalFile file;
    private final long limit;
    private final IntPredicate knownType;
    private ByteBuffer buffer;
    private long bufferStart;

    /** Reads journal frames that lie wholly below {@code limit}. */
    FrameReader(JournalFile file, long limit, int capacity) {
        this(file, limit, capacity, type -> JournalFormat.isKnownType((byte) type));
    }

    /** Reads frames that lie wholly below {@code limit} and whose type {@code knownType} accepts. */
    FrameReader(JournalFile file, long limit, int capacity, IntPredicate knownType) {
        this.file = file;
        this.limit = limit;
        this.knownType = knownType;
        this.buffer = ByteBuffer.allocate(Math.max(capacity, 64)).limit(0);
        this.bufferStart = 0;
    }

    long limit() {
        return limit;
    }

    Result at(long offset) throws IOException {
        return at(offset, JournalFormat.MAX_BODY);
    }

    /** Like {@link #at(long)}, but a longer length than {@code maxBody} counts as damage without being read. */
    Result at(long offset, int maxBody) throws IOException {
        if (offset >= limit) {
            return new End(offset);
        }
        if (offset + JournalFormat.FRAME_HEADER > limit) {
            return new Bad(offset, -1, "a partial frame");
        }
        int index = ensure(offset, JournalFormat.FRAME_HEADER);
        int length = buffer.getInt(index);
        int checksum = buffer.getInt(index + 4);
        if (length < 1 || length > maxBody) {
            return new Bad(offset, length, "an impossible length");
        }
        if (offset + JournalFormat.FRAME_HEADER + length > limit) {
            return new Bad(offset, length, "a frame that runs past the end");
        }
        index = ensure(offset, JournalFormat.FRAME_HEADER + length);
        ByteBuffer body = buffer.duplicate()
                .limit(index + JournalFormat.FRAME_HEADER + length)
                .position(index + JournalFormat.FRAME_HEADER)
                .slice();
        if (!JournalFormat.checksumMatches(length, body, checksum)) {
            return new Bad(offset, length, "a checksum that does not match");
        }
        byte type = body.get(0);
        if (!knownType.test(type)) {
            return new Bad(offset, length, "an unknown record type");
        }
        return new Frame(offset, length, body);
    }

    /** Makes bytes [offset, offset + count) present in the buffer; returns the buffer index of offset. */
    private int ensure(long offset, int count) throws IOException {
        if (offset >= bufferStart && offset + count <= bufferStart + buffer.limit()) {
            return (int) (offset - bufferStart);
        }
        if (count > buffer.capacity()) {
            buffer = ByteBuffer.allocate(Math.max(count, buffer.capacity() * 2));
        }
        buffer.clear();
        int wanted = (int) Math.min(buffer.capacity(), limit - offset);
        buffer.limit(wanted);
        long at = offset;
        while (buffer.hasRemaining()) {
            int read = file.read(buffer, at);
            if (read < 0) {
                throw new EOFException("the journal ended before its expected size");
            }
            at += read;
        }
        buffer.flip();
        bufferStart = offset;
        return 0;
    }
}
