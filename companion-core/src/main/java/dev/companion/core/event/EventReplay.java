package dev.companion.core.event;

import java.util.List;

/** The answer to "what happened after cursor N": the events, or a reset when N is unknown. */
public sealed interface EventReplay {

    /** The events after the cursor asked for, oldest first, and the newest cursor issued so far. */
    record Events(List<CompanionEvent> events, long latestCursor) implements EventReplay {
        public Events {
            events = List.copyOf(events);
        }
    }

    /** The cursor is older than the retained events, or newer than any issued. */
    record Reset(long latestCursor) implements EventReplay {
    }
}
