package dev.companion.store.journal;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.port.StorageException;

/**
 * The journal is damaged where it cannot be repaired without losing acknowledged items: before its
 * tail, or it is not a journal at all. Nothing was changed on disk. The message names the record
 * and its byte offset, never the file's path.
 */
public final class JournalCorruptedException extends StorageException {

    private final long offset;

    private JournalCorruptedException(String message, long offset) {
        super(Diagnostic.error(DiagnosticCode.JOURNAL_CORRUPTED, message), null);
        this.offset = offset;
    }

    /** Where in the file the damage starts, or -1 for a file that is not a journal. */
    public long offset() {
        return offset;
    }

    /** A damaged record found at start; {@code recordNumber} counts records from 1, 0 when unknown. */
    static JournalCorruptedException atOpen(long recordNumber, long offset, long itemsBefore, String problem) {
        String record = recordNumber > 0 ? "record " + recordNumber + " at byte " + offset : "the record at byte " + offset;
        return new JournalCorruptedException("The transcript journal is damaged: " + record + " (after item "
                + itemsBefore + ") has " + problem + ", and intact records follow it. The server did not start "
                + "and changed nothing; restore the journal from a backup or move it aside.", offset);
    }

    /** A record that has a valid checksum but does not fit where it stands. */
    static JournalCorruptedException outOfPlace(long recordNumber, long offset, String problem) {
        String record = recordNumber > 0 ? "record " + recordNumber + " at byte " + offset : "the record at byte " + offset;
        return new JournalCorruptedException("The transcript journal is damaged: " + record + " " + problem
                + ". The server did not start and changed nothing; restore the journal from a backup or move it aside.",
                offset);
    }

    static JournalCorruptedException notAJournal() {
        return new JournalCorruptedException("The transcript journal does not start with a Companion journal header. "
                + "The server did not start and changed nothing; move the file aside to start a new transcript.", -1);
    }

    /** The conversation catalogue is damaged before its tail, or a record in it does not fit. */
    static JournalCorruptedException catalogue(long offset, String problem) {
        return new JournalCorruptedException("The conversation catalogue is damaged: the record at byte " + offset
                + " " + problem + ". The server did not start and changed nothing; restore the catalogue from a "
                + "backup or move it aside.", offset);
    }

    static JournalCorruptedException notACatalogue() {
        return new JournalCorruptedException("The conversation catalogue does not start with a Companion catalogue "
                + "header. The server did not start and changed nothing; restore it from a backup or move it aside.",
                -1);
    }

    /** Damage found while reading a page after start. */
    static JournalCorruptedException atRead(long offset, long sequence) {
        return new JournalCorruptedException("The transcript journal is damaged at byte " + offset + " (item "
                + sequence + "); this page cannot be read.", offset);
    }
}
