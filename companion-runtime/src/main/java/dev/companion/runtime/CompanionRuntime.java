package dev.companion.runtime;

import dev.companion.core.Conversations;
import dev.companion.core.port.ConversationCatalog;

import dev.companion.core.Companion;
import dev.companion.core.ListWorkersUseCase;
import dev.companion.core.model.AuthorityDecision;
import dev.companion.core.model.AuthorityDeniedException;
import dev.companion.core.model.AuthorityPolicy;
import dev.companion.core.model.Profile;
import dev.companion.core.model.WorkerSnapshot;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.PromptCatalog;
import dev.companion.core.port.TranscriptStore;
import dev.companion.core.port.TurnLeases;
import dev.companion.core.port.SharedEvents;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The embedded worker runtime. Building it starts it: the Companion worker is created and
 * registered at once. A host application embeds a Companion like this:
 *
 * <pre>{@code
 * try (CompanionRuntime runtime = CompanionRuntime.builder()
 *         .prompts(new ClasspathPromptCatalog())
 *         .build()) {                       // offline model, in-memory transcript
 *     Companion companion = runtime.companion();
 *     SendResult sent = companion.send(SendMessageCommand.of("Hello"));
 *     ...
 * }
 * }</pre>
 *
 * Closing the runtime stops a running turn (its partial reply is kept, marked interrupted) and
 * closes the transcript store.
 */
public final class CompanionRuntime implements ListWorkersUseCase, AutoCloseable {

    /** How long a turn may run, all in all, when nothing else is configured. */
    public static final Duration DEFAULT_TURN_TIMEOUT = Duration.ofMinutes(5);
    /** How many recent transcript items are sent to the model as history by default. */
    public static final int DEFAULT_HISTORY_ITEMS = 200;
    /** How many recent events are kept for clients that resume. */
    public static final int DEFAULT_RETAINED_EVENTS = 10_000;

    /** How many turns may run at once across all conversations when nothing else is configured. */
    public static final int DEFAULT_MAX_RUNNING_TURNS = 4;

    private final WorkerRegistry registry = new WorkerRegistry();
    private final ConversationRegistry conversations;
    private final Companion defaultConversation;
    private final ConversationCatalog catalog;
    private final TurnThreads turns;
    private final ScheduledExecutorService timers;

    private CompanionRuntime(Builder builder) {
        AuthorityDecision decision = AuthorityPolicy.decide(builder.profile.capabilities());
        if (decision instanceof AuthorityDecision.Denied denied) {
            throw new AuthorityDeniedException(denied);
        }
        this.catalog = builder.catalog != null ? builder.catalog
                : builder.store != null ? new InMemoryConversationCatalog(builder.store, builder.clock.instant())
                : new InMemoryConversationCatalog();
        LanguageModel model = builder.model != null ? builder.model : new OfflineLanguageModel(builder.prompts);
        // A turn holds its thread while the model streams; the permits bound how many run at once.
        this.turns = new TurnThreads(Executors.newCachedThreadPool(daemonThreads("companion-turn")));
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, daemonThreads("companion-timer"));
        // The lease sweep is its only task besides Deadlines' one; a cancelled one is not kept queued.
        timer.setRemoveOnCancelPolicy(true);
        this.timers = timer;
        EventLog events = new EventLog(builder.clock.millis() * 1_000L, builder.retainedEvents);
        if (builder.sharedEvents != null) {
            events.share(builder.sharedEvents);
        }
        Hosting hosting = new Hosting(builder.profile, model, builder.prompts, builder.clock, events, turns, new Deadlines(timers),
                builder.turnTimeout, builder.historyItems, new TurnPermits(builder.maxRunningTurns),
                builder.leases != null ? builder.leases : new InProcessTurnLeases());
        this.conversations = new ConversationRegistry(hosting, catalog);
        this.defaultConversation = conversations.openDefault();
        registry.register(conversations);
        hosting.leases().sweepInterval().ifPresent(every -> timers.scheduleWithFixedDelay(
                conversations::reclaimExpiredTurns, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The default conversation, as its clients drive it: the one every earlier release had. */
    public Companion companion() {
        return defaultConversation;
    }

    /**
     * Where a server runs its requests that send, regenerate or edit: on a turn thread, which then
     * answers the turn the request started itself, with no hand-off to another thread. It refuses a
     * request ({@link java.util.concurrent.RejectedExecutionException}) when {@value TurnThreads#MAX_SENDERS}
     * run there already or the runtime is stopping; the server then runs it on a thread of its own.
     */
    public Executor sendingThreads() {
        return turns.forSenders();
    }

    /** Every conversation: create, list, rename, delete, open one, follow all their events. */
    public Conversations conversations() {
        return conversations;
    }

    @Override
    public List<WorkerSnapshot> workers() {
        return registry.snapshots();
    }

    @Override
    public void close() {
        conversations.interruptAll();
        turns.shutdownNow();
        timers.shutdownNow();
        try {
            turns.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        catalog.close();
    }

    private static ThreadFactory daemonThreads(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Configures a runtime. Only the prompt catalogue is required. */
    public static final class Builder {
        private PromptCatalog prompts;
        private LanguageModel model;
        private TranscriptStore store;
        private ConversationCatalog catalog;
        private int maxRunningTurns = DEFAULT_MAX_RUNNING_TURNS;
        private Profile profile = Profile.companion();
        private Clock clock = Clock.systemUTC();
        private Duration turnTimeout = DEFAULT_TURN_TIMEOUT;
        private int historyItems = DEFAULT_HISTORY_ITEMS;
        private int retainedEvents = DEFAULT_RETAINED_EVENTS;
        private TurnLeases leases;
        private SharedEvents sharedEvents;

        private Builder() {
        }

        /** Where the system prompt and the offline model's words come from. Required. */
        public Builder prompts(PromptCatalog prompts) {
            this.prompts = Objects.requireNonNull(prompts, "prompts");
            return this;
        }

        /** The model that writes replies; the offline model when not set. */
        public Builder model(LanguageModel model) {
            this.model = Objects.requireNonNull(model, "model");
            return this;
        }

        /** Where the conversations are kept; in memory when not set. The runtime closes it. */
        public Builder catalog(ConversationCatalog catalog) {
            this.catalog = Objects.requireNonNull(catalog, "catalog");
            return this;
        }

        /**
         * Keeps the default conversation in this transcript store and any other conversation in
         * memory: for an application that has one conversation and its own store. The runtime closes it.
         * Ignored when a {@link #catalog} is set.
         */
        public Builder store(TranscriptStore store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * Who decides which turn may run in each conversation: this process when not set; the shared
         * database's leases when several runtimes serve the same conversations (the catalogue's store
         * provides them). The runtime sweeps expired leases as often as they ask.
         */
        public Builder turnLeases(TurnLeases leases) {
            this.leases = Objects.requireNonNull(leases, "leases");
            return this;
        }

        /**
         * Shares the events with the other runtimes on one database: a reader here follows the turns
         * they run, and a cursor given out by any of them resumes here. Not set: the events are this
         * runtime's own, kept in memory only.
         */
        public Builder sharedEvents(SharedEvents sharedEvents) {
            this.sharedEvents = Objects.requireNonNull(sharedEvents, "sharedEvents");
            return this;
        }

        /** How many turns may run at once across all conversations; one more is answered busy. */
        public Builder maxRunningTurns(int maxRunningTurns) {
            if (maxRunningTurns < 1) {
                throw new IllegalArgumentException("at least one turn must be allowed to run");
            }
            this.maxRunningTurns = maxRunningTurns;
            return this;
        }

        /** Who the Companion is. A profile asking for more than conversation is refused at build. */
        public Builder profile(Profile profile) {
            this.profile = Objects.requireNonNull(profile, "profile");
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How long one turn may run in all before it ends as {@code timeout}. */
        public Builder turnTimeout(Duration turnTimeout) {
            if (turnTimeout.isNegative() || turnTimeout.isZero()) {
                throw new IllegalArgumentException("the turn timeout must be positive");
            }
            this.turnTimeout = turnTimeout;
            return this;
        }

        /** How many recent transcript items are sent to the model as history. */
        public Builder historyItems(int historyItems) {
            if (historyItems < 1) {
                throw new IllegalArgumentException("history must hold at least the new message");
            }
            this.historyItems = historyItems;
            return this;
        }

        /** How many recent events are kept so clients can resume after a dropped connection. */
        public Builder retainedEvents(int retainedEvents) {
            this.retainedEvents = retainedEvents;
            return this;
        }

        /** Builds and starts the runtime. @throws AuthorityDeniedException for a profile asking too much */
        public CompanionRuntime build() {
            Objects.requireNonNull(prompts, "prompts are required: use new ClasspathPromptCatalog()");
            return new CompanionRuntime(this);
        }
    }
}
