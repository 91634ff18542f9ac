package dev.companion.adapter.http;

import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.port.StorageException;
import dev.companion.core.port.TranscriptStore;

import java.io.IOException;
import java.util.List;
import java.util.Set;

/** A store whose disk is gone: every append fails the way a real store reports it. */
final class FailingTranscriptStore implements TranscriptStore {

    @Override
    public TranscriptItem append(TranscriptEntry entry) {
        throw StorageException.writeFailed(new IOException("No space left on device: /var/lib/companion/journal"));
    }

    @Override
    public void supersede(Set<Long> sequences) {
        throw StorageException.writeFailed(new IOException("No space left on device: /var/lib/companion/journal"));
    }

    @Override
    public long size() {
        return 0;
    }

    @Override
    public List<TranscriptItem> read(long start, int limit) {
        return List.of();
    }

    @Override
    public void close() {
    }
}
