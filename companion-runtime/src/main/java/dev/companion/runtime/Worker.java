package dev.companion.runtime;

import dev.companion.core.model.WorkerSnapshot;

/** Something the runtime hosts. The Companion is one; the registry lists them all. */
interface Worker {

    String id();

    WorkerSnapshot snapshot();
}
