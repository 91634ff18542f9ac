package dev.companion.runtime;

import dev.companion.core.port.TranscriptStore;
import dev.companion.core.port.TranscriptStoreContract;

class InMemoryTranscriptStoreTest extends TranscriptStoreContract {

    @Override
    protected TranscriptStore createStore() {
        return new InMemoryTranscriptStore();
    }
}
