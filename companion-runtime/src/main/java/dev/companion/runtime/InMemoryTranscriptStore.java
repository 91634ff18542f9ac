package dev.companion.runtime;

import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.port.TranscriptStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import dev.companion.core.model.ItemStatus;

/** A transcript kept in memory: gone when the process ends. For tests and {@code --ephemeral}. */
public final class InMemoryTranscriptStore implements TranscriptStore {

    private final List<TranscriptItem> items = new ArrayList<>();

    @Override
    public synchronized TranscriptItem append(TranscriptEntry entry) {
        TranscriptItem item = entry.at(items.size());
        items.add(item);
        return item;
    }

    @Override
    public synchronized void supersede(Set<Long> sequences) {
        for (long sequence : sequences) {
            if (sequence < 0 || sequence >= items.size()) {
                throw new IllegalArgumentException("no item at sequence " + sequence);
            }
        }
        for (long sequence : sequences) {
            TranscriptItem was = items.get((int) sequence);
            items.set((int) sequence, was.withStatus(ItemStatus.SUPERSEDED));
        }
    }

    @Override
    public synchronized long size() {
        return items.size();
    }

    @Override
    public synchronized List<TranscriptItem> read(long start, int limit) {
        if (start < 0) {
            throw new IllegalArgumentException("start must not be negative");
        }
        if (start >= items.size() || limit <= 0) {
            return List.of();
        }
        int from = (int) start;
        int to = (int) Math.min(items.size(), start + limit);
        return List.copyOf(new ArrayList<>(items.subList(from, to)));
    }

    @Override
    public void close() {
        // nothing to release
    }
}
