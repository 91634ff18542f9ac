package dev.companion.store.journal;

import dev.companion.core.model.ConversationId;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.port.StorageException;
import dev.companion.core.port.StoredConversation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The catalogue of conversations: an append-only log of created, retitled and deleted records in
 * {@code companion.catalog}, framed, checksummed and forced like the journal's records, and repaired
 * by the same rules at open (a torn tail is cut and kept in a {@code .broken} file; damage followed by
 * intact records refuses the open and changes nothing).
 *
 * <pre>
 * header   = magic "CMPNCTLG" (8) | version int (4) = 1 | CRC32C of the previous 12 bytes (4)
 * frame    = as in the journal: length int | CRC32C of length and body | body
 * CREATED  = 1 | id | epoch second long | nano int | has title byte (0 or 1) | title (when it has one)
 * RETITLED = 2 | id | title
 * DELETED  = 3 | id
 * string   = byte count int | UTF-8 bytes
 * </pre>
 *
 * Not thread-safe: the catalogue serialises its calls.
 */
final class CatalogueLog implements AutoCloseable {

    static final String FILE = "companion.catalog";
    static final int VERSION = 1;

    static final byte CREATED = 1;
    static final byte RETITLED = 2;
    static final byte DELETED = 3;

    private static final byte[] MAGIC = "CMPNCTLG".getBytes(StandardCharsets.US_ASCII);
    /** A catalogue record is small: a longer length is damage. */
    private static final int MAX_BODY = 64 * 1024;
    private final JournalFile file;
    private final Map<ConversationId, StoredConversation> live = new LinkedHashMap<>();
    /** Every id a record names; those not live were deleted last. */
    private final Set<ConversationId> named = new HashSet<>();
    private final List<Diagnostic> diagnostics = new ArrayList<>();
    private long end;
    private Throwable failure;

    private CatalogueLog(JournalFile file) {
        this.file = file;
    }

    /** Opens (creating if missing) the catalogue in {@code directory}, whose lock the caller holds. */
    static CatalogueLog open(Path directory, JournalFile.Opener files, Clock clock) {
        JournalFile file = null;
        try {
            file = files.open(directory.resolve(FILE));
            CatalogueLog log = new CatalogueLog(file);
            log.recover(directory, clock);
            return log;
        } catch (IOException | RuntimeException e) {
            if (file != null) {
                try {
                    file.close();
                } catch (IOException | RuntimeException ignored) {
                    // already failing
                }
            }
            if (e instanceof StorageException storage) {
                throw storage;
            }
            throw new StorageException(Diagnostic.error(DiagnosticCode.STORAGE_READ_FAILED,
                    "The conversation catalogue could not be opened."), e);
        }
    }

    /** The conversations, in the order they were created. */
    Map<ConversationId, StoredConversation> live() {
        return live;
    }

    /** Whether any record names {@code id}: a live conversation, or one deleted. */
    boolean mentions(ConversationId id) {
        return named.contains(id);
    }

    /** The ids whose last record is a delete. */
    Set<ConversationId> deleted() {
        Set<ConversationId> deleted = new HashSet<>(named);
        deleted.removeAll(live.keySet());
        return deleted;
    }

    List<Diagnostic> diagnostics() {
        return diagnostics;
    }

    // --- changes ------------------------------------------------------------------------------

    void created(StoredConversation conversation) {
        ConversationId id = conversation.id();
        byte[] title = conversation.title().map(JournalFormat::utf8).orElse(new byte[0]);
        byte[] idBytes = JournalFormat.utf8(id.value());
        ByteBuffer body = ByteBuffer.allocate(1 + 4 + idBytes.length + 8 + 4 + 1 + 4 + title.length);
        body.put(CREATED);
        JournalFormat.putString(body, idBytes);
        body.putLong(conversation.createdAt().getEpochSecond()).putInt(conversation.createdAt().getNano());
        body.put((byte) (conversation.title().isPresent() ? 1 : 0));
        if (conversation.title().isPresent()) {
            JournalFormat.putString(body, title);
        }
        append(Arrays.copyOf(body.array(), body.position()));
        live.put(id, conversation);
        named.add(id);
    }

    void retitled(ConversationId id, String title) {
        byte[] idBytes = JournalFormat.utf8(id.value());
        byte[] titleBytes = JournalFormat.utf8(title);
        ByteBuffer body = ByteBuffer.allocate(1 + 8 + idBytes.length + titleBytes.length);
        body.put(RETITLED);
        JournalFormat.putString(body, idBytes);
        JournalFormat.putString(body, titleBytes);
        append(body.array());
        live.put(id, live.get(id).titled(title));
    }

    void deleted(ConversationId id) {
        byte[] idBytes = JournalFormat.utf8(id.value());
        ByteBuffer body = ByteBuffer.allocate(1 + 4 + idBytes.length);
        body.put(DELETED);
        JournalFormat.putString(body, idBytes);
        append(body.array());
        live.remove(id);
    }

    /** Appends one record and forces it; on a failure cuts it back and throws, or refuses further changes. */
    private void append(byte[] body) {
        if (failure != null) {
            throw StorageException.writeFailed(failure);
        }
        if (body.length > MAX_BODY) {
            throw new IllegalArgumentException("a catalogue record is at most " + MAX_BODY + " bytes");
        }
        ByteBuffer record = ByteBuffer.allocate(JournalFormat.FRAME_HEADER + body.length);
        JournalFormat.frame(ByteBuffer.wrap(body), record);
        long start = end;
        try {
            file.write(record.flip(), start);
            file.force();
        } catch (IOException | RuntimeException e) {
            try {
                file.truncate(start);
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again);
                failure = e;
            }
            throw StorageException.writeFailed(e);
        }
        end = start + record.limit();
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException | RuntimeException ignored) {
            // every change was forced when it was made
        }
    }

    // --- open ---------------------------------------------------------------------------------

    private void recover(Path directory, Clock clock) throws IOException {
        long size = file.size();
        FrameReader reader = new FrameReader(file, size, 64 * 1024,
                type -> type == CREATED || type == RETITLED || type == DELETED);
        byte[] head = readHead(size);
        long position = HEADER;
        boolean writeHeader = false;
        switch (checkHeader(head)) {
            case VALID -> {
                // read the records below
            }
            case NEWER_VERSION -> throw new StorageException(Diagnostic.error(DiagnosticCode.JOURNAL_UNSUPPORTED_VERSION,
                    "The conversation catalogue uses format version " + ByteBuffer.wrap(head).getInt(8)
                            + ", which this server cannot read; run the newer server that wrote it."), null);
            case TORN -> {
                if (size > HEADER && intactFrameAfter(reader, new FrameReader.Bad(0, -1, "a damaged header"))) {
                    throw JournalCorruptedException.notACatalogue();
                }
                writeHeader = true;
                position = 0;
            }
            default -> throw JournalCorruptedException.notACatalogue();
        }
        while (!writeHeader) {
            FrameReader.Result result = reader.at(position, MAX_BODY);
            if (result instanceof FrameReader.End) {
                break;
            }
            if (result instanceof FrameReader.Bad bad) {
                if (intactFrameAfter(reader, bad)) {
                    throw JournalCorruptedException.catalogue(bad.offset(), "has " + bad.reason()
                            + ", and intact records follow it");
                }
                break;
            }
            FrameReader.Frame frame = (FrameReader.Frame) result;
            apply(frame);
            position = frame.end();
        }
        if (position < size) {
            String broken = keepBrokenTail(directory, clock, position, size);
            file.truncate(position);
            file.force();
            if (size > 0) {
                diagnostics.add(Diagnostic.warning(DiagnosticCode.JOURNAL_TAIL_REPAIRED,
                        "At start the end of the conversation catalogue was incomplete or damaged (by a crash or "
                                + "power loss during a write, or by damage to the file), so " + (size - position)
                                + " bytes from byte " + position + " were cut off and kept beside it in " + broken
                                + ". A conversation created, renamed or deleted in them may have been acknowledged "
                                + "before the damage, and that change is undone."));
            }
        }
        if (writeHeader || size == 0) {
            file.write(header(), 0);
            file.force();
            DataDirectory.forceEntries(directory);
            position = HEADER;
        }
        end = position;
    }

    private void apply(FrameReader.Frame frame) {
        ByteBuffer in = frame.body().duplicate();
        byte type = in.get();
        ConversationId id;
        try {
            String value = JournalFormat.getString(in);
            if (!ConversationId.isWellFormed(value)) {
                throw JournalCorruptedException.catalogue(frame.offset(), "names a malformed conversation id");
            }
            id = new ConversationId(value);
            switch (type) {
                case CREATED -> {
                    Instant createdAt = Instant.ofEpochSecond(in.getLong(), in.getInt());
                    byte hasTitle = in.get();
                    if (hasTitle != 0 && hasTitle != 1) {
                        throw new IllegalArgumentException("not a flag");
                    }
                    Optional<String> title = hasTitle == 1 ? Optional.of(JournalFormat.getString(in)) : Optional.empty();
                    if (live.containsKey(id)) {
                        throw JournalCorruptedException.catalogue(frame.offset(),
                                "creates conversation " + id + ", which exists");
                    }
                    live.put(id, new StoredConversation(id, title, createdAt));
                    named.add(id);
                }
                case RETITLED -> {
                    String title = JournalFormat.getString(in);
                    StoredConversation was = live.get(id);
                    if (was == null) {
                        throw JournalCorruptedException.catalogue(frame.offset(),
                                "renames conversation " + id + ", which does not exist");
                    }
                    live.put(id, was.titled(title));
                }
                default -> {
                    if (live.remove(id) == null) {
                        throw JournalCorruptedException.catalogue(frame.offset(),
                                "deletes conversation " + id + ", which does not exist");
                    }
                }
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("bytes after the record");
            }
        } catch (JournalCorruptedException e) {
            throw e;
        } catch (RuntimeException malformed) {
            throw JournalCorruptedException.catalogue(frame.offset(), "cannot be decoded");
        }
    }

    /** Whether an intact record lies after damaged bytes: then cutting there would lose acknowledged changes. */
    private static boolean intactFrameAfter(FrameReader reader, FrameReader.Bad bad) throws IOException {
        long limit = reader.limit();
        if (bad.length() >= 1 && bad.length() <= MAX_BODY) {
            long next = bad.offset() + JournalFormat.FRAME_HEADER + bad.length();
            if (next < limit && reader.at(next, MAX_BODY) instanceof FrameReader.Frame) {
                return true;
            }
        }
        for (long at = bad.offset() + 1; at + JournalFormat.FRAME_HEADER < limit; at++) {
            if (reader.at(at, MAX_BODY) instanceof FrameReader.Frame) {
                return true;
            }
        }
        return false;
    }

    /** Copies the bytes to a new file beside the catalogue; returns its base name. */
    private String keepBrokenTail(Path directory, Clock clock, long from, long to) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(to - from));
        while (bytes.hasRemaining()) {
            if (file.read(bytes, from + bytes.position()) < 0) {
                throw new IOException("the catalogue ended before its expected size");
            }
        }
        bytes.flip();
        return DataDirectory.keepBroken(directory, FILE, clock.instant(), bytes);
    }

    private byte[] readHead(long size) throws IOException {
        ByteBuffer head = ByteBuffer.allocate((int) Math.min(size, HEADER));
        while (head.hasRemaining()) {
            if (file.read(head, head.position()) < 0) {
                break;
            }
        }
        return Arrays.copyOf(head.array(), head.position());
    }

    // --- bytes --------------------------------------------------------------------------------

    static final int HEADER = 16;

    static ByteBuffer header() {
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        header.put(MAGIC).putInt(VERSION);
        header.putInt(JournalFormat.crc(header.array(), 0, 12));
        return header.flip();
    }

    private enum HeaderCheck { VALID, NEWER_VERSION, TORN, NOT_A_CATALOGUE }

    private static HeaderCheck checkHeader(byte[] bytes) {
        byte[] expected = header().array();
        boolean prefix = true;
        boolean zeros = true;
        for (int i = 0; i < Math.min(bytes.length, MAGIC.length); i++) {
            prefix &= bytes[i] == expected[i];
        }
        for (byte b : bytes) {
            zeros &= b == 0;
        }
        if (bytes.length < HEADER) {
            if (prefix) {
                for (int i = MAGIC.length; i < bytes.length; i++) {
                    prefix &= bytes[i] == expected[i];
                }
            }
            return prefix || zeros ? HeaderCheck.TORN : HeaderCheck.NOT_A_CATALOGUE;
        }
        if (!prefix) {
            return zeros ? HeaderCheck.TORN : HeaderCheck.NOT_A_CATALOGUE;
        }
        ByteBuffer header = ByteBuffer.wrap(bytes);
        if (header.getInt(12) != JournalFormat.crc(bytes, 0, 12)) {
            return HeaderCheck.NOT_A_CATALOGUE;
        }
        return header.getInt(8) == VERSION ? HeaderCheck.VALID : HeaderCheck.NEWER_VERSION;
    }

}
