package dev.companion.core.port;

import dev.companion.core.model.ConversationId;

import java.util.List;
import java.util.Objects;

/**
 * An event log several runtimes share (a database table): every runtime appends the events of the
 * turns it runs and reads everyone's, so a reader on any runtime follows every conversation, with
 * ids that mean the same on each. Ids are assigned by the log, one above the last, without gaps;
 * the log keeps a recent window and forgets older records. What a record's payload says is the
 * runtime's business: the log only keeps it.
 */
public interface SharedEvents {

    /**
     * Appends a record and returns its id, larger than every id before it on every runtime; every
     * record with a smaller id is readable when this returns.
     *
     * @throws StorageException when the log cannot be written
     */
    long append(ConversationId conversation, String name, String payload);

    /**
     * Up to {@code max} records after {@code id}, oldest first.
     *
     * @throws StorageException when the log cannot be read
     */
    Page after(long id, int max);

    /** Up to {@code max} of the newest records, oldest first, and the newest id (0 for an empty log). */
    Page newest(int max);

    /**
     * Calls {@code wake} (on a thread of the log's own) whenever another runtime may have appended,
     * and now and then regardless; whoever is woken reads {@link #after} what it has seen. Once only.
     */
    void listen(Runnable wake);

    /**
     * Records in id order. {@code gap}: records just after the id asked for are no longer kept (or
     * the id was never given out), so a reader has missed some; {@code latestId} is the newest id.
     */
    record Page(List<Record> records, boolean gap, long latestId) {
        public Page {
            records = List.copyOf(records);
        }
    }

    record Record(long id, ConversationId conversation, String name, String payload) {
        public Record {
            Objects.requireNonNull(conversation, "conversation");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(payload, "payload");
        }
    }
}
