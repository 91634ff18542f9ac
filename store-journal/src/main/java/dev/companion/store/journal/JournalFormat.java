package dev.companion.store.journal;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ReplyDetails;
import dev.companion.core.model.Role;
import dev.companion.core.model.Severity;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TurnId;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * The journal's bytes (all numbers big-endian):
 *
 * <pre>
 * header  = magic "CMPNJRNL" (8) | version int (4) | CRC32C of the previous 12 bytes (4)
 * frame   = length int (4) | CRC32C of length and body (4) | body (length bytes)
 * body    = type byte | payload
 * ITEM       payload = sequence long | epoch second long | nano int | role | status | source | turn | content
 *                      [| details, only when the reply has any]
 * details    = reasoning | has reasoning time byte [| seconds long | nano int]
 *              | has usage byte [| input long | output long | reasoning long]
 *              | diagnostic count int | (code | severity | message) per diagnostic
 * PROGRESS   payload = turn | text
 * SUPERSEDE  payload = count int | sequence long (count times)
 * string  = byte count int | UTF-8 bytes; role, status, code and severity are their enum names
 * </pre>
 *
 * The checksum covers the length too, so a damaged length is caught like a damaged body.
 *
 * <p>Version 1 is what the first release wrote and can read: items (with the statuses it knew and no
 * details) and progress. A journal stays version 1 until its first record that release cannot read (a
 * SUPERSEDE record, or an item {@link #readableByVersion1} rejects); just before that record its
 * header is rewritten as version 2, so an earlier release refuses the journal by its version (and
 * says why) instead of taking the record for damage. This release reads both.
 *
 * <p>Each index entry is the item's byte offset, with {@link #SUPERSEDED_FLAG} set once a SUPERSEDE
 * record names the item: reads take an item's status from its entry, so a page costs the same
 * whatever was superseded. Like the offsets, the flags are derived from the records and checked at open.
 */
final class JournalFormat {

    /** Items and progress only: what the first release wrote, and what a journal is until its first SUPERSEDE. */
    static final int VERSION_1 = 1;
    /** May hold SUPERSEDE records. */
    static final int VERSION_2 = 2;
    static final int HEADER_SIZE = 16;
    static final int FRAME_HEADER = 8;
    /** A length above this is damage, not a record: it bounds what a damaged length can make us read. */
    static final int MAX_BODY = 64 * 1024 * 1024;

    static final byte ITEM = 1;
    static final byte PROGRESS = 2;
    static final byte SUPERSEDE = 3;

    /** Set in an index entry when its item is superseded; the other bits are the item's offset. */
    static final long SUPERSEDED_FLAG = 1L << 63;

    private static final byte[] MAGIC = "CMPNJRNL".getBytes(StandardCharsets.US_ASCII);

    private JournalFormat() {
    }

    // --- header -------------------------------------------------------------------------------

    /** The header a new journal starts with: version 1, until its first SUPERSEDE record. */
    static ByteBuffer header() {
        return header(VERSION_1);
    }

    static ByteBuffer header(int version) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE);
        header.put(MAGIC).putInt(version);
        header.putInt(crc(header.array(), 0, 12));
        return header.flip();
    }

    static boolean isKnownType(byte type) {
        return type == ITEM || type == PROGRESS || type == SUPERSEDE;
    }

    /**
     * What the first bytes of a file say about it. {@code TORN_UPGRADE}: a header caught half way
     * through its rewrite from version 1 to 2 (every byte is the one or the other's).
     */
    enum HeaderCheck { VALID, NEWER_VERSION, TORN, TORN_UPGRADE, NOT_A_JOURNAL }

    /** Checks a file's first bytes ({@code bytes} holds all of them when the file is shorter than a header). */
    static HeaderCheck checkHeader(byte[] bytes) {
        byte[] expected = header().array();
        if (bytes.length < HEADER_SIZE) {
            boolean prefix = true;
            boolean zeros = true;
            for (int i = 0; i < bytes.length; i++) {
                prefix &= bytes[i] == expected[i];
                zeros &= bytes[i] == 0;
            }
            // A crash while the header was first written leaves a piece of it (or zeros on some file systems).
            return prefix || zeros ? HeaderCheck.TORN : HeaderCheck.NOT_A_JOURNAL;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                return allZero(bytes) ? HeaderCheck.TORN : HeaderCheck.NOT_A_JOURNAL;
            }
        }
        ByteBuffer header = ByteBuffer.wrap(bytes, 0, HEADER_SIZE);
        int version = header.getInt(8);
        int crc = header.getInt(12);
        if (crc != crc(bytes, 0, 12)) {
            return tornUpgrade(bytes) ? HeaderCheck.TORN_UPGRADE : HeaderCheck.NOT_A_JOURNAL;
        }
        return version == VERSION_1 || version == VERSION_2 ? HeaderCheck.VALID : HeaderCheck.NEWER_VERSION;
    }

    private static boolean tornUpgrade(byte[] bytes) {
        byte[] first = header(VERSION_1).array();
        byte[] second = header(VERSION_2).array();
        for (int i = 0; i < HEADER_SIZE; i++) {
            if (bytes[i] != first[i] && bytes[i] != second[i]) {
                return false;
            }
        }
        return true;
    }

    static int headerVersion(byte[] bytes) {
        return ByteBuffer.wrap(bytes).getInt(8);
    }

    private static boolean allZero(byte[] bytes) {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    // --- frames -------------------------------------------------------------------------------

    /** Frames {@code body} (type byte first) into {@code target}. */
    static void frame(ByteBuffer body, ByteBuffer target) {
        int length = body.remaining();
        CRC32C crc = new CRC32C();
        crc.update(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length});
        crc.update(body.duplicate());
        target.putInt(length).putInt((int) crc.getValue()).put(body);
    }

    /** Whether {@code body} (positioned at its first byte, {@code length} long) matches {@code expected}. */
    static boolean checksumMatches(int length, ByteBuffer body, int expected) {
        CRC32C crc = new CRC32C();
        crc.update(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length});
        crc.update(body.duplicate());
        return (int) crc.getValue() == expected;
    }

    static int crc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    // --- bodies -------------------------------------------------------------------------------

    /** The statuses the first release knew. */
    private static final Set<ItemStatus> VERSION_1_STATUSES = EnumSet.of(ItemStatus.ACCEPTED, ItemStatus.COMPLETED,
            ItemStatus.CANCELLED, ItemStatus.FAILED, ItemStatus.TIMEOUT, ItemStatus.INCOMPLETE, ItemStatus.INTERRUPTED);

    /** Whether the first release can read this item's record: a status it knew, and no reply details. */
    static boolean readableByVersion1(TranscriptItem item) {
        return VERSION_1_STATUSES.contains(item.status()) && item.details().isEmpty();
    }

    static ByteBuffer itemBody(TranscriptItem item) {
        byte[] role = ascii(item.role().name());
        byte[] status = ascii(item.status().name());
        byte[] source = utf8(item.source());
        byte[] turn = utf8(item.turnId().value());
        byte[] content = utf8(item.content());
        byte[] details = item.details().isEmpty() ? new byte[0] : detailsBytes(item.details());
        ByteBuffer body = ByteBuffer.allocate(1 + 8 + 8 + 4 + 5 * 4
                + role.length + status.length + source.length + turn.length + content.length + details.length);
        body.put(ITEM).putLong(item.sequence())
                .putLong(item.createdAt().getEpochSecond()).putInt(item.createdAt().getNano());
        putString(body, role);
        putString(body, status);
        putString(body, source);
        putString(body, turn);
        putString(body, content);
        body.put(details);
        return body.flip();
    }

    private static byte[] detailsBytes(ReplyDetails details) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeString(out, details.reasoning());
            out.writeBoolean(details.reasoningTime().isPresent());
            if (details.reasoningTime().isPresent()) {
                out.writeLong(details.reasoningTime().get().getSeconds());
                out.writeInt(details.reasoningTime().get().getNano());
            }
            out.writeBoolean(details.usage().isPresent());
            if (details.usage().isPresent()) {
                TokenUsage usage = details.usage().get();
                out.writeLong(usage.inputTokens());
                out.writeLong(usage.outputTokens());
                out.writeLong(usage.reasoningTokens());
            }
            out.writeInt(details.diagnostics().size());
            for (Diagnostic diagnostic : details.diagnostics()) {
                writeString(out, diagnostic.code().name());
                writeString(out, diagnostic.severity().name());
                writeString(out, diagnostic.message());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void writeString(DataOutputStream out, String text) throws IOException {
        byte[] bytes = utf8(text);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    /**
     * Reads the details after an item's content. A diagnostic whose code or severity this release does
     * not know (one a later release wrote, or one since retired) is left out: it explains a reply, and the
     * reply reads without it.
     */
    private static ReplyDetails readDetails(ByteBuffer in) {
        String reasoning = getString(in);
        Optional<Duration> reasoningTime = flag(in) ? Optional.of(Duration.ofSeconds(in.getLong(), in.getInt()))
                : Optional.empty();
        Optional<TokenUsage> usage = flag(in) ? Optional.of(new TokenUsage(in.getLong(), in.getLong(), in.getLong()))
                : Optional.empty();
        int count = in.getInt();
        if (count < 0 || count > in.remaining()) {
            throw new IllegalArgumentException("diagnostic count out of range");
        }
        List<Diagnostic> diagnostics = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Optional<DiagnosticCode> code = enumValue(DiagnosticCode.class, getString(in));
            Optional<Severity> severity = enumValue(Severity.class, getString(in));
            String message = getString(in);
            if (code.isPresent() && severity.isPresent()) {
                diagnostics.add(new Diagnostic(code.get(), severity.get(), message));
            }
        }
        return new ReplyDetails(reasoning, reasoningTime, usage, diagnostics);
    }

    private static boolean flag(ByteBuffer in) {
        byte flag = in.get();
        if (flag != 0 && flag != 1) {
            throw new IllegalArgumentException("not a flag");
        }
        return flag == 1;
    }

    static ByteBuffer progressBody(TurnId turn, String text) {
        byte[] turnBytes = utf8(turn.value());
        byte[] textBytes = utf8(text);
        ByteBuffer body = ByteBuffer.allocate(1 + 8 + turnBytes.length + textBytes.length);
        body.put(PROGRESS);
        putString(body, turnBytes);
        putString(body, textBytes);
        return body.flip();
    }

    static ByteBuffer supersedeBody(long[] sequences) {
        ByteBuffer body = ByteBuffer.allocate(1 + 4 + 8 * sequences.length);
        body.put(SUPERSEDE).putInt(sequences.length);
        for (long sequence : sequences) {
            body.putLong(sequence);
        }
        return body.flip();
    }

    /** The sequences a SUPERSEDE body names; throws IllegalArgumentException when malformed. */
    static long[] decodeSupersede(ByteBuffer body) {
        ByteBuffer in = body.duplicate();
        if (in.remaining() < 5) {
            throw new IllegalArgumentException("malformed supersede record");
        }
        in.get();
        int count = in.getInt();
        if (count < 1 || in.remaining() != 8L * count) {
            throw new IllegalArgumentException("malformed supersede record");
        }
        long[] sequences = new long[count];
        for (int i = 0; i < count; i++) {
            sequences[i] = in.getLong();
        }
        return sequences;
    }

    static int framedSize(ByteBuffer body) {
        return FRAME_HEADER + body.remaining();
    }

    /** The sequence an ITEM body (positioned at its type byte) names, without decoding the rest. */
    static long itemSequence(ByteBuffer body) {
        return body.getLong(body.position() + 1);
    }

    /** Decodes an ITEM body (positioned at its type byte); throws IllegalArgumentException when malformed. */
    static TranscriptItem decodeItem(ByteBuffer body) {
        try {
            ByteBuffer in = body.duplicate();
            in.get();
            long sequence = in.getLong();
            Instant createdAt = Instant.ofEpochSecond(in.getLong(), in.getInt());
            Role role = Role.valueOf(getString(in));
            ItemStatus status = ItemStatus.valueOf(getString(in));
            String source = getString(in);
            TurnId turn = new TurnId(getString(in));
            String content = getString(in);
            ReplyDetails details = in.hasRemaining() ? readDetails(in) : ReplyDetails.NONE;
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("bytes after the item");
            }
            return new TranscriptItem(sequence, role, content, createdAt, source, status, turn, details);
        } catch (RuntimeException malformed) {
            throw new IllegalArgumentException("malformed item record", malformed);
        }
    }

    /**
     * What can be read of an ITEM body that failed its checksum or was cut short: each field only when
     * all its bytes are there and hold a valid value, and none after the first that does not. Its
     * values are not verified; callers check them against what the position in the journal implies.
     */
    record ItemHead(OptionalLong sequence, Optional<Role> role, Optional<TurnId> turn) {

        static final ItemHead NOTHING = new ItemHead(OptionalLong.empty(), Optional.empty(), Optional.empty());
    }

    /** Reads the head of a damaged or partial ITEM body (positioned at its type byte); never throws. */
    static ItemHead readItemHead(ByteBuffer body) {
        ByteBuffer in = body.duplicate();
        if (in.remaining() < 1 + 8) {
            return ItemHead.NOTHING;
        }
        in.get();
        OptionalLong sequence = OptionalLong.of(in.getLong());
        if (in.remaining() < 8 + 4) {
            return new ItemHead(sequence, Optional.empty(), Optional.empty());
        }
        in.position(in.position() + 8 + 4);
        Optional<Role> role = readString(in, 16).flatMap(name -> enumValue(Role.class, name));
        if (role.isEmpty()) {
            return new ItemHead(sequence, role, Optional.empty());
        }
        // Status and source only stand between the role and the turn; a damaged one hides the turn.
        Optional<TurnId> turn = readString(in, 32).flatMap(name -> enumValue(ItemStatus.class, name))
                .flatMap(status -> readString(in, 4096))
                .flatMap(source -> readString(in, 64))
                .flatMap(JournalFormat::turnId);
        return new ItemHead(sequence, role, turn);
    }

    /** The turn a damaged or partial PROGRESS body names, if its bytes are all there and form a turn id. */
    static Optional<TurnId> readProgressTurn(ByteBuffer body) {
        ByteBuffer in = body.duplicate();
        if (!in.hasRemaining()) {
            return Optional.empty();
        }
        in.get();
        return readString(in, 64).flatMap(JournalFormat::turnId);
    }

    private static Optional<String> readString(ByteBuffer in, int maxBytes) {
        if (in.remaining() < 4) {
            return Optional.empty();
        }
        int length = in.getInt();
        if (length < 0 || length > maxBytes || length > in.remaining()) {
            return Optional.empty();
        }
        byte[] bytes = new byte[length];
        in.get(bytes);
        return Optional.of(new String(bytes, StandardCharsets.UTF_8));
    }

    private static <E extends Enum<E>> Optional<E> enumValue(Class<E> type, String name) {
        try {
            return Optional.of(Enum.valueOf(type, name));
        } catch (IllegalArgumentException unknown) {
            return Optional.empty();
        }
    }

    private static Optional<TurnId> turnId(String value) {
        try {
            return Optional.of(new TurnId(value));
        } catch (IllegalArgumentException invalid) {
            return Optional.empty();
        }
    }

    /** A decoded PROGRESS body. */
    record Progress(TurnId turn, String text) {
    }

    static Progress decodeProgress(ByteBuffer body) {
        try {
            ByteBuffer in = body.duplicate();
            in.get();
            return new Progress(new TurnId(getString(in)), getString(in));
        } catch (RuntimeException malformed) {
            throw new IllegalArgumentException("malformed progress record", malformed);
        }
    }

    static void putString(ByteBuffer body, byte[] bytes) {
        body.putInt(bytes.length).put(bytes);
    }

    static String getString(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("string length out of range");
        }
        byte[] bytes = new byte[length];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
