package dev.companion.core;

import dev.companion.core.model.WorkerSnapshot;

import java.util.List;

/** The runtime's workers, the Companion among them. */
public interface ListWorkersUseCase {

    List<WorkerSnapshot> workers();
}
