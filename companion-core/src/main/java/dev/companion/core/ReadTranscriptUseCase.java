package dev.companion.core;

import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TranscriptQuery;

/** Read one bounded page of the Companion's own transcript. */
public interface ReadTranscriptUseCase {

    TranscriptPage transcript(TranscriptQuery query);
}
