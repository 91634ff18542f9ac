package dev.companion.runtime;

import dev.companion.core.EditMessageCommand;
import dev.companion.core.model.ReplyDetails;
import dev.companion.core.port.TextSink;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ConversationNotFoundException;
import java.util.HashSet;
import java.util.Set;

import dev.companion.core.CancelCommand;
import dev.companion.core.CancelResult;
import dev.companion.core.Companion;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.SendResult;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.EventReplay;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.AuthorityPolicy;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Profile;
import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.TransportInfo;
import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.model.WorkerSnapshot;
import dev.companion.core.port.ChatMessage;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.LanguageModelException;
import dev.companion.core.port.ModelRequest;
import dev.companion.core.port.ModelResult;
import dev.companion.core.port.PromptCatalog;
import dev.companion.core.port.PromptNames;
import dev.companion.core.port.StorageException;
import dev.companion.core.port.TranscriptStore;
import dev.companion.core.port.TurnLeases;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One conversation's worker: one turn at a time. A turn starts when its user item is stored, streams
 * the model's reply as events, and ends exactly once, by completion, failure, cancel, timeout or
 * shutdown, whichever comes first; the reply, whole or partial, is then stored with its status.
 * Regenerate and edit start a turn the same way, after marking what they replace superseded.
 */
final class CompanionWorker implements Companion {

    private static final Logger LOG = Logger.getLogger(CompanionWorker.class.getName());
    private static final int REMEMBERED_OUTCOMES = 256;
    /** How far back a regenerate or edit looks for the last user message. */
    private static final int REWRITE_WINDOW = 200;

    /** What the worker tells the conversation list about. */
    interface Host {
        /** A user message was stored; the first one names an untitled conversation. */
        void userMessageStored(ConversationId conversation, TranscriptItem item);

        /** Notes about the store as a whole (a repaired catalogue, a directory others can write), shown in every status. */
        List<Diagnostic> storeDiagnostics();
    }

    private final ConversationId conversation;
    private final Hosting hosting;
    private final TranscriptStore store;
    private final Host host;

    /** Guards starting and ending turns, so their events are never interleaved. */
    private final ReentrantLock transitions = new ReentrantLock();
    private volatile RunningTurn running;
    private volatile boolean deleted;
    private final Map<TurnId, CompletableFuture<TurnOutcome>> outcomes = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<TurnId, CompletableFuture<TurnOutcome>> eldest) {
            return size() > REMEMBERED_OUTCOMES;
        }
    };

    CompanionWorker(ConversationId conversation, Hosting hosting, TranscriptStore store, Host host) {
        this.conversation = conversation;
        this.hosting = hosting;
        this.store = store;
        this.host = host;
    }

    @Override
    public ConversationId conversationId() {
        return conversation;
    }

    CompanionState currentState() {
        return running == null ? CompanionState.READY : CompanionState.BUSY;
    }

    // ---- send, regenerate, edit ------------------------------------------------------------

    @Override
    public SendResult send(SendMessageCommand command) {
        return startTurn(turnId -> Optional.of(appendUser(command, turnId)), Optional.empty());
    }

    @Override
    public SendResult regenerate() {
        return startTurn(turnId -> {
            List<TranscriptItem> tail = sinceLastUserMessage();
            if (tail.isEmpty()) {
                return Optional.empty();
            }
            supersede(tail.subList(1, tail.size()));
            return Optional.of(tail.get(0));
        }, Optional.of(Diagnostic.error(DiagnosticCode.NOTHING_TO_REGENERATE,
                "There is no message to answer again yet; send one first.")));
    }

    @Override
    public SendResult edit(EditMessageCommand command) {
        return startTurn(turnId -> {
            List<TranscriptItem> tail = sinceLastUserMessage();
            if (tail.isEmpty()) {
                return Optional.empty();
            }
            supersede(tail);
            return Optional.of(appendUser(command.message(), turnId));
        }, Optional.of(Diagnostic.error(DiagnosticCode.NOTHING_TO_EDIT,
                "There is no message to edit yet; send one first.")));
    }

    /** How a turn finds its user item: stores it, or finds it; empty when there is nothing to answer. */
    private interface Opening {
        Optional<TranscriptItem> userItem(TurnId turn);
    }

    /**
     * Starts a turn unless one runs here or the runtime's limit is reached. Everything the opening
     * writes happens under the transitions lock, so a concurrent send sees busy, never half a rewrite.
     */
    private SendResult startTurn(Opening opening, Optional<Diagnostic> nothingToDo) {
        RunningTurn turn = new RunningTurn(TurnId.random());
        Turn started;
        transitions.lock();
        try {
            checkNotDeleted();
            RunningTurn current = running;
            if (current != null) {
                return new SendResult.Busy(current.id, List.of(Diagnostic.warning(DiagnosticCode.COMPANION_BUSY,
                        "The Companion is answering another message; send again when it is ready.")));
            }
            if (!hosting.permits().tryAcquire()) {
                return new SendResult.Busy(Optional.empty(), List.of(Diagnostic.warning(
                        DiagnosticCode.TOO_MANY_RUNNING_TURNS, "The Companion is answering "
                                + hosting.permits().max() + " conversations at once, as many as it may; "
                                + "send again when one of them is done.")));
            }
            // Until the user's message is stored, every way out gives back the permit and the lease.
            TurnLeases.Lease lease = null;
            Optional<TranscriptItem> userItem = Optional.empty();
            try {
                TurnLeases.Claim claim = hosting.leases().claim(conversation, turn.id, new TurnLeases.Holder() {
                    @Override
                    public void lost() {
                        leaseLost(turn);
                    }

                    @Override
                    public void cancelRequested() {
                        end(turn, cancelledEnding());
                    }
                });
                if (claim instanceof TurnLeases.Claim.Busy busy) {
                    return new SendResult.Busy(Optional.of(busy.holder()), List.of(Diagnostic.warning(
                            DiagnosticCode.COMPANION_BUSY, "The Companion is answering another message in this "
                                    + "conversation; send again when it is ready.")));
                }
                TurnLeases.Claim.Granted granted = (TurnLeases.Claim.Granted) claim;
                lease = granted.lease();
                turn.leased(lease);
                granted.reclaimed().forEach(reclaimed -> announceReclaimed(reclaimed, false));
                userItem = opening.userItem(turn.id);
                if (userItem.isEmpty()) {
                    return new SendResult.Refused(List.of(nothingToDo.orElseThrow()));
                }
            } catch (StorageException e) {
                return new SendResult.Failed(List.of(e.diagnostic()));
            } finally {
                if (userItem.isEmpty()) {
                    if (lease != null) {
                        lease.release();
                    }
                    hosting.permits().release();
                }
            }
            started = new Turn(turn.id, userItem.get(), hosting.clock().instant());
            running = turn;
            synchronized (outcomes) {
                outcomes.put(turn.id, turn.outcome);
            }
            turn.started(started, deadline(turn));
            hosting.events().publish(cursor -> new CompanionEvent.StateChanged(cursor, hosting.clock().instant(),
                    conversation, CompanionState.READY, CompanionState.BUSY));
            hosting.events().publish(cursor -> new CompanionEvent.TurnStarted(cursor, hosting.clock().instant(),
                    conversation, started));
        } finally {
            transitions.unlock();
        }
        if (started.userItem().turnId().equals(turn.id)) {
            // Outside the lock: the conversation list takes its own, and a delete takes both the other way.
            host.userMessageStored(conversation, started.userItem());
        }
        try {
            hosting.turns().execute(() -> converse(turn));
        } catch (RejectedExecutionException e) {
            end(turn, new TurnEnding.Interrupted(List.of(Diagnostic.warning(DiagnosticCode.TURN_INTERRUPTED,
                    "The runtime is stopping; the message is kept but will not be answered."))));
        }
        return new SendResult.Accepted(started, List.of());
    }

    private TranscriptItem appendUser(SendMessageCommand command, TurnId turn) {
        return store.append(new TranscriptEntry(Role.USER, command.content(), hosting.clock().instant(),
                command.source(), ItemStatus.ACCEPTED, turn));
    }

    /**
     * The last user message that still counts and every item after it that still counts, oldest
     * first; empty when there is none within reach.
     */
    private List<TranscriptItem> sinceLastUserMessage() {
        long size = store.size();
        long from = Math.max(0, size - REWRITE_WINDOW);
        List<TranscriptItem> window = store.read(from, REWRITE_WINDOW);
        for (int i = window.size() - 1; i >= 0; i--) {
            TranscriptItem item = window.get(i);
            if (item.role() == Role.USER && item.status() != ItemStatus.SUPERSEDED) {
                List<TranscriptItem> tail = new ArrayList<>();
                for (TranscriptItem later : window.subList(i, window.size())) {
                    if (later.status() != ItemStatus.SUPERSEDED) {
                        tail.add(later);
                    }
                }
                return tail;
            }
        }
        return List.of();
    }

    private void supersede(List<TranscriptItem> items) {
        if (items.isEmpty()) {
            return;
        }
        Set<Long> sequences = new HashSet<>();
        items.forEach(item -> sequences.add(item.sequence()));
        store.supersede(sequences);
    }

    /** Ends the turn as {@code timeout} once it has run too long; none while the runtime is closing. */
    private Deadlines.Deadline deadline(RunningTurn turn) {
        Duration limit = hosting.turnTimeout();
        try {
            return hosting.deadlines().after(limit, () -> end(turn, new TurnEnding.TimedOut(List.of(Diagnostic.error(
                            DiagnosticCode.TURN_TIMEOUT, "The reply took longer than the turn limit of "
                                    + limit.toSeconds() + " seconds and was stopped.")))));
        } catch (RejectedExecutionException closing) {
            return null; // the turn is ended as interrupted when its work is refused too
        }
    }

    private void converse(RunningTurn turn) {
        try {
            ModelRequest request = new ModelRequest(hosting.prompts().text(hosting.profile().systemPrompt()), history());
            ModelResult result = hosting.model().stream(request, new TextSink() {
                @Override
                public void accept(String delta) {
                    keep(turn, delta);
                }

                @Override
                public void reasoning(String delta) {
                    keepReasoning(turn, delta);
                }
            }, turn.cancellation);
            turn.usage(result.usage());
            end(turn, new TurnEnding.Completed(result.ending(), result.diagnostics()));
        } catch (LanguageModelException e) {
            if (e.state() == CompanionState.TIMEOUT) {
                end(turn, new TurnEnding.TimedOut(List.of(e.diagnostic())));
            } else {
                end(turn, new TurnEnding.Failed(e.state(), List.of(e.diagnostic())));
            }
        } catch (RuntimeException e) {
            // An unexpected model failure: its message may carry anything, so only the type is logged.
            LOG.log(Level.WARNING, "the model failed unexpectedly: {0}", e.getClass().getName());
            end(turn, new TurnEnding.Failed(CompanionState.ERROR, List.of(Diagnostic.error(
                    DiagnosticCode.MODEL_FAILED, "The model failed unexpectedly; the Companion is ready again."))));
        }
    }

    private void keep(RunningTurn turn, String delta) {
        if (delta.isEmpty()) {
            return;
        }
        turn.replyStarted(System.nanoTime());
        turn.append(delta, () -> {
            store.recordReplyProgress(turn.id, delta);
            hosting.events().publish(cursor -> new CompanionEvent.TextDelta(cursor, hosting.clock().instant(),
                    conversation, turn.id, delta));
        });
    }

    private void keepReasoning(RunningTurn turn, String delta) {
        if (delta.isEmpty()) {
            return;
        }
        turn.appendReasoning(delta, System.nanoTime(), () -> hosting.events().publish(cursor ->
                new CompanionEvent.ReasoningDelta(cursor, hosting.clock().instant(), conversation, turn.id, delta)));
    }

    /**
     * The normal conversation, oldest first, ending with the user's message: what a regenerate or
     * edit superseded is left out, so the model never sees an answer that was replaced.
     */
    private List<ChatMessage> history() {
        int historyItems = hosting.historyItems();
        long size = store.size();
        List<TranscriptItem> items = store.read(Math.max(0, size - historyItems), historyItems);
        List<ChatMessage> messages = new ArrayList<>(items.size());
        for (TranscriptItem item : items) {
            if (item.content().isBlank() || item.status() == ItemStatus.SUPERSEDED) {
                continue;
            }
            if (messages.isEmpty() && item.role() != Role.USER) {
                continue; // a conversation sent to a model starts with the user
            }
            messages.add(new ChatMessage(item.role(), item.content()));
        }
        return messages;
    }

    /**
     * Ends the turn unless it has already ended: stops the model, stores the reply with its
     * status, frees the conversation and tells everyone. Returns the outcome if this call ended it.
     */
    private Optional<TurnOutcome> end(RunningTurn turn, TurnEnding ending) {
        String text = turn.end();
        if (text == null) {
            return Optional.empty();
        }
        // From here on nothing may throw before the conversation is free again, or it would stay busy.
        stopModel(turn);
        List<Diagnostic> diagnostics = new ArrayList<>(ending.diagnostics());
        Optional<TranscriptItem> reply = storeReply(turn, ending, text, diagnostics);
        releaseLease(turn);
        TurnOutcome outcome = ending.outcome(turn.id, reply, diagnostics);
        transitions.lock();
        try {
            running = null;
            hosting.permits().release();
            hosting.events().publish(cursor -> new CompanionEvent.TurnEnded(cursor, hosting.clock().instant(),
                    conversation, outcome));
            hosting.events().publish(cursor -> new CompanionEvent.StateChanged(cursor, hosting.clock().instant(),
                    conversation, CompanionState.BUSY, CompanionState.READY));
        } finally {
            transitions.unlock();
        }
        turn.outcome.complete(outcome);
        return Optional.of(outcome);
    }

    private static void releaseLease(RunningTurn turn) {
        TurnLeases.Lease lease = turn.lease();
        if (lease == null) {
            return;
        }
        try {
            lease.release();
        } catch (RuntimeException e) {
            // The lease expires by itself; the reply is stored, so whoever reclaims it adds nothing.
            LOG.log(Level.WARNING, "the turn's lease was not released: {0}", e.getClass().getName());
        }
    }

    /** The claim on this conversation could not be renewed in time: another runtime may take it, so stop. */
    private void leaseLost(RunningTurn turn) {
        end(turn, new TurnEnding.Interrupted(List.of(Diagnostic.warning(DiagnosticCode.TURN_INTERRUPTED,
                "The server lost its claim on this conversation (the database did not answer in time); "
                        + "the text that had arrived is kept as interrupted."))));
    }

    /**
     * Tells readers that a turn another runtime left behind has ended, interrupted, with the text it
     * had stored. {@code idle}: nothing runs here now (a sweep), so the conversation is ready again.
     */
    void announceReclaimed(TurnLeases.ReclaimedTurn reclaimed, boolean idle) {
        TurnOutcome outcome = new TurnOutcome.Failed(reclaimed.turn(), CompanionState.ERROR, reclaimed.reply(),
                List.of(Diagnostic.warning(DiagnosticCode.TURN_INTERRUPTED, "The server answering this message "
                        + "stopped during the reply; the text it had stored is kept as interrupted.")));
        hosting.events().publish(cursor -> new CompanionEvent.TurnEnded(cursor, hosting.clock().instant(),
                conversation, outcome));
        if (idle) {
            hosting.events().publish(cursor -> new CompanionEvent.StateChanged(cursor, hosting.clock().instant(),
                    conversation, CompanionState.BUSY, CompanionState.READY));
        }
    }

    private static void stopModel(RunningTurn turn) {
        try {
            turn.cancellation.cancel();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "stopping the model failed: {0}", e.getClass().getName());
        }
    }

    /** Stores the reply; a failure of any kind is a storage diagnostic, never a stuck turn. */
    private Optional<TranscriptItem> storeReply(RunningTurn turn, TurnEnding ending, String text,
                                                List<Diagnostic> diagnostics) {
        try {
            // The diagnostics go with the reply, so how it ended still shows after a reload.
            ReplyDetails details = new ReplyDetails(turn.reasoning(), turn.reasoningTime(System.nanoTime()),
                    turn.usage(), diagnostics);
            return Optional.of(store.append(new TranscriptEntry(Role.ASSISTANT, text, hosting.clock().instant(),
                    sourceOf(hosting.model().provider()), ending.replyStatus(text), turn.id, details)));
        } catch (StorageException e) {
            diagnostics.add(e.diagnostic());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "the reply could not be stored: {0}", e.getClass().getName());
            diagnostics.add(Diagnostic.error(DiagnosticCode.STORAGE_WRITE_FAILED,
                    "The reply could not be stored in the transcript."));
        }
        return Optional.empty();
    }

    /**
     * The provider kind as a transcript source, a short snake_case word: a host's own model may call
     * itself anything ("My-LLM 2"), and the transcript keeps a safe form of it ("my_llm_2").
     */
    static String sourceOf(ProviderInfo provider) {
        // By hand rather than replaceAll: this runs for every reply, and a pattern compiles each time.
        StringBuilder safe = new StringBuilder(provider.kind().length());
        for (char c : provider.kind().toLowerCase(java.util.Locale.ROOT).toCharArray()) {
            safe.append((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
        }
        String kind = safe.toString();
        if (kind.isEmpty() || !Character.isLetter(kind.charAt(0))) {
            kind = "model_" + kind;
        }
        return kind.length() > 32 ? kind.substring(0, 32) : kind;
    }

    /** Stops the running turn because the runtime is closing; its partial reply is kept as interrupted. */
    void interrupt() {
        RunningTurn current = running;
        if (current != null) {
            end(current, new TurnEnding.Interrupted(List.of(Diagnostic.warning(DiagnosticCode.TURN_INTERRUPTED,
                    "The server stopped during the reply; the text that had arrived is kept as interrupted."))));
        }
    }

    /**
     * Marks the worker deleted unless a turn runs; from then on every send is refused as not found.
     * Returns the running turn that prevented it, if any. The caller deletes the storage after.
     */
    Optional<TurnId> markDeleted() {
        transitions.lock();
        try {
            RunningTurn current = running;
            if (current != null) {
                return Optional.of(current.id);
            }
            Optional<TurnId> elsewhere = hosting.leases().holder(conversation);
            if (elsewhere.isPresent()) {
                return elsewhere;
            }
            deleted = true;
            return Optional.empty();
        } finally {
            transitions.unlock();
        }
    }

    private void checkNotDeleted() {
        if (deleted) {
            throw new ConversationNotFoundException(conversation);
        }
    }

    // ---- await and cancel --------------------------------------------------------------------

    @Override
    public Optional<TurnOutcome> awaitTurn(TurnId turn, Duration atMost) throws InterruptedException {
        hosting.turns().handOffStartedHere(); // a turn this thread started must not wait for this thread
        CompletableFuture<TurnOutcome> outcome;
        synchronized (outcomes) {
            outcome = outcomes.get(turn);
        }
        if (outcome == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(outcome.get(atMost.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException("a turn outcome never fails", e);
        }
    }

    @Override
    public CompletionStage<Optional<TurnOutcome>> whenTurnEnds(TurnId turn, Duration atMost) {
        CompletableFuture<TurnOutcome> outcome;
        synchronized (outcomes) {
            outcome = outcomes.get(turn);
        }
        if (outcome == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        // Completed by the thread that ends the turn, or by the timer when the limit comes first.
        CompletableFuture<Optional<TurnOutcome>> ended = outcome.thenApply(Optional::of);
        if (!ended.isDone()) {
            try {
                Deadlines.Deadline limit = hosting.deadlines().after(atMost, () -> ended.complete(Optional.empty()));
                ended.whenComplete((done, failure) -> limit.cancel());
            } catch (RejectedExecutionException closing) {
                // The runtime is stopping: it ends every turn now, which completes this.
            }
        }
        return ended;
    }

    @Override
    public CancelResult cancel(CancelCommand command) {
        checkNotDeleted();
        RunningTurn current = running;
        if (current == null) {
            Optional<TurnId> elsewhere = heldElsewhere();
            if (elsewhere.isPresent() && command.turn().map(elsewhere.get()::equals).orElse(true)) {
                Optional<CancelResult> asked = cancelElsewhere(elsewhere.get());
                if (asked.isPresent()) {
                    return asked.get();
                }
            }
        }
        if (command.turn().isPresent() && (current == null || !current.id.equals(command.turn().get()))) {
            return endedOrUnknown(command.turn().get());
        }
        if (current == null) {
            return new CancelResult.NotRunning(Diagnostic.info(DiagnosticCode.NOT_RUNNING,
                    "No turn is running; there was nothing to cancel."));
        }
        Optional<TurnOutcome> ended = end(current, cancelledEnding());
        if (ended.isPresent() && ended.get() instanceof TurnOutcome.Cancelled cancelled) {
            return new CancelResult.Cancelled(cancelled, cancelled.diagnostics().get(0));
        }
        return endedOrUnknown(current.id);
    }

    private static TurnEnding cancelledEnding() {
        return new TurnEnding.Cancelled(List.of(Diagnostic.info(
                DiagnosticCode.CANCELLED, "The turn was cancelled; the reply so far is kept, marked cancelled.")));
    }

    /** How long a cancel waits for the runtime running the turn elsewhere to say it ended. */
    private static final Duration CANCEL_ELSEWHERE_WAIT = Duration.ofSeconds(10);

    /**
     * Asks the runtime running {@code turn} on a shared store to cancel it, and waits for the turn's
     * end to arrive with the shared events. Empty when there is no such runtime to ask (the turn
     * ended meanwhile, or leases are this process's own).
     */
    private Optional<CancelResult> cancelElsewhere(TurnId turn) {
        CompletableFuture<TurnOutcome> ended = new CompletableFuture<>();
        try (Subscription watching = hosting.events().subscribe(hosting.events().latestCursor(), this::mine,
                event -> {
                    if (event instanceof CompanionEvent.TurnEnded end && end.outcome().turnId().equals(turn)) {
                        ended.complete(end.outcome());
                    }
                })) {
            if (!hosting.leases().requestCancel(conversation, turn)) {
                return Optional.empty();
            }
            TurnOutcome outcome = ended.get(CANCEL_ELSEWHERE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (outcome instanceof TurnOutcome.Cancelled cancelled) {
                return Optional.of(new CancelResult.Cancelled(cancelled, cancelled.diagnostics().get(0)));
            }
            return Optional.of(new CancelResult.AlreadyCompleted(turn, outcome, Diagnostic.info(
                    DiagnosticCode.ALREADY_COMPLETED, "The turn had already ended ("
                            + outcome.end().wireName().replace('_', ' ') + "); nothing was changed.")));
        } catch (StorageException e) {
            return Optional.empty();
        } catch (TimeoutException e) {
            return Optional.of(new CancelResult.NotRunning(Diagnostic.info(DiagnosticCode.NOT_RUNNING,
                    "The reply runs on another server, which was asked to stop it and has not said it did yet.")));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException("a turn outcome never fails", e);
        }
    }

    private CancelResult endedOrUnknown(TurnId id) {
        CompletableFuture<TurnOutcome> outcome;
        synchronized (outcomes) {
            outcome = outcomes.get(id);
        }
        if (outcome == null) {
            return new CancelResult.NotRunning(Diagnostic.info(DiagnosticCode.NOT_RUNNING,
                    "No turn with that id is running; there was nothing to cancel."));
        }
        // The turn is not running any more, so its outcome is complete or about to be.
        TurnOutcome ended = outcome.join();
        return new CancelResult.AlreadyCompleted(id, ended, Diagnostic.info(DiagnosticCode.ALREADY_COMPLETED,
                "The turn had already ended (" + ended.end().wireName().replace('_', ' ')
                        + "); nothing was changed."));
    }

    // ---- read ----------------------------------------------------------------------------------

    @Override
    public CompanionStatus status() {
        checkNotDeleted();
        RunningTurn current = running;
        ProviderInfo provider = hosting.model().provider();
        PromptCatalog prompts = hosting.prompts();
        List<Diagnostic> diagnostics = new ArrayList<>();
        Optional<String> limitation = Optional.empty();
        if (!provider.live()) {
            limitation = Optional.of(prompts.text(PromptNames.OFFLINE_LIMITATION));
            diagnostics.add(Diagnostic.warning(DiagnosticCode.PROVIDER_OFFLINE, prompts.text(PromptNames.OFFLINE_NOTICE)));
        }
        diagnostics.addAll(host.storeDiagnostics());
        diagnostics.addAll(store.diagnostics());
        Optional<TurnId> runningTurn = current != null ? Optional.of(current.id) : heldElsewhere();
        CompanionState state = runningTurn.isEmpty() ? CompanionState.READY : CompanionState.BUSY;
        Profile profile = hosting.profile();
        return new CompanionStatus(conversation, state,
                new WorkerSnapshot(profile.id(), profile.label(), state, profile, AuthorityPolicy.CONVERSATION_ONLY),
                new TransportInfo("embedded_runtime", "events", limitation), provider,
                AuthorityPolicy.CONVERSATION_ONLY, runningTurn, diagnostics);
    }

    /**
     * The turn another runtime on a shared store runs here, if any. Unknown while the store is away:
     * a status answers from what this runtime holds rather than fail.
     */
    private Optional<TurnId> heldElsewhere() {
        try {
            return hosting.leases().holder(conversation);
        } catch (StorageException e) {
            return Optional.empty();
        }
    }

    @Override
    public TranscriptPage transcript(TranscriptQuery query) {
        checkNotDeleted();
        long total = store.size();
        TranscriptQuery.Window window = query.window(total);
        List<TranscriptItem> items = window.count() > 0 ? store.read(window.start(), window.count()) : List.of();
        return TranscriptPage.of(window, total, items, List.of());
    }

    // ---- events --------------------------------------------------------------------------------

    /**
     * This conversation's turn and state events. What happens to the list of conversations (created,
     * renamed, deleted) is for readers of every conversation, so a client of one sees what it always saw.
     */
    private boolean mine(CompanionEvent event) {
        return event.conversationId().equals(conversation)
                && !(event instanceof CompanionEvent.ConversationCreated
                || event instanceof CompanionEvent.ConversationRenamed
                || event instanceof CompanionEvent.ConversationDeleted);
    }

    @Override
    public long latestCursor() {
        return hosting.events().latestCursor();
    }

    @Override
    public EventReplay eventsAfter(long cursor, int max) {
        return hosting.events().after(cursor, max, this::mine);
    }

    @Override
    public Subscription subscribe(long cursor, EventListener listener) {
        return hosting.events().subscribe(cursor, this::mine, listener);
    }
}
