package dev.companion.runtime;

import dev.companion.core.model.Profile;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.PromptCatalog;
import dev.companion.core.port.TurnLeases;

import java.time.Clock;
import java.time.Duration;

/**
 * What every conversation's worker shares: who the Companion is, its model, the event log, threads
 * and limits, and who decides which turn may run (this process, or a database other runtimes share).
 */
record Hosting(
        Profile profile,
        LanguageModel model,
        PromptCatalog prompts,
        Clock clock,
        EventLog events,
        TurnThreads turns,
        Deadlines deadlines,
        Duration turnTimeout,
        int historyItems,
        TurnPermits permits,
        TurnLeases leases) {
}
