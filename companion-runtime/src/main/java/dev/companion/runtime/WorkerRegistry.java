package dev.companion.runtime;

import dev.companion.core.model.WorkerSnapshot;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/** The runtime's workers by id. */
final class WorkerRegistry {

    private final Map<String, Worker> workers = new ConcurrentSkipListMap<>();

    void register(Worker worker) {
        if (workers.putIfAbsent(worker.id(), worker) != null) {
            throw new IllegalStateException("a worker with id " + worker.id() + " is already registered");
        }
    }

    List<WorkerSnapshot> snapshots() {
        return workers.values().stream().map(Worker::snapshot).toList();
    }
}
