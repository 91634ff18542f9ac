package dev.companion.adapter.http;

import dev.companion.core.CancelCommand;
import dev.companion.core.CancelResult;
import dev.companion.core.Companion;
import dev.companion.core.EditMessageCommand;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.EventReplay;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;

import java.time.Duration;
import java.util.Optional;

/**
 * The real Companion, except that reading status and transcript fails with an unexpected error
 * whose message says things no client should see: a bug the server must not pass on.
 */
final class FailingCompanion implements Companion {

    private final Companion delegate;
    private final RuntimeException failure;

    FailingCompanion(Companion delegate, RuntimeException failure) {
        this.delegate = delegate;
        this.failure = failure;
    }

    @Override
    public ConversationId conversationId() {
        return delegate.conversationId();
    }

    @Override
    public SendResult regenerate() {
        return delegate.regenerate();
    }

    @Override
    public SendResult edit(EditMessageCommand command) {
        return delegate.edit(command);
    }

    @Override
    public CompanionStatus status() {
        throw failure;
    }

    @Override
    public TranscriptPage transcript(TranscriptQuery query) {
        throw failure;
    }

    @Override
    public SendResult send(SendMessageCommand command) {
        return delegate.send(command);
    }

    @Override
    public Optional<TurnOutcome> awaitTurn(TurnId turn, Duration atMost) throws InterruptedException {
        return delegate.awaitTurn(turn, atMost);
    }

    @Override
    public CancelResult cancel(CancelCommand command) {
        return delegate.cancel(command);
    }

    @Override
    public long latestCursor() {
        return delegate.latestCursor();
    }

    @Override
    public EventReplay eventsAfter(long cursor, int max) {
        return delegate.eventsAfter(cursor, max);
    }

    @Override
    public Subscription subscribe(long cursor, EventListener listener) {
        return delegate.subscribe(cursor, listener);
    }
}
