package dev.companion.runtime;

import dev.companion.core.Companion;
import dev.companion.core.ConversationPage;
import dev.companion.core.ConversationQuery;
import dev.companion.core.Conversations;
import dev.companion.core.CreateConversationCommand;
import dev.companion.core.DeleteResult;
import dev.companion.core.RenameConversationCommand;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.event.EventListener;
import dev.companion.core.event.EventReplay;
import dev.companion.core.event.Subscription;
import dev.companion.core.model.AuthorityPolicy;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.ConversationNotFoundException;
import dev.companion.core.model.ConversationTitle;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.InvalidRequestException;
import dev.companion.core.model.Role;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.WorkerSnapshot;
import dev.companion.core.port.ConversationCatalog;
import dev.companion.core.port.StorageException;
import dev.companion.core.port.StoredConversation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.nio.charset.StandardCharsets;

/**
 * The conversations of one runtime: the catalogue's records joined with each conversation's worker,
 * which is made the first time the conversation is used and kept while it exists. Also the
 * Companion as the one {@link Worker} the runtime lists: busy while any conversation has a turn.
 */
final class ConversationRegistry implements Conversations, Worker, CompanionWorker.Host {

    private static final Logger LOG = Logger.getLogger(ConversationRegistry.class.getName());
    private static final int PREVIEW_CHARACTERS = 120;

    private final Hosting hosting;
    private final ConversationCatalog catalog;
    private final ConcurrentMap<ConversationId, CompanionWorker> workers = new ConcurrentHashMap<>();
    /** Serialises catalogue changes (create, rename, delete, the automatic title) so each is one event. */
    private final Object changes = new Object();

    ConversationRegistry(Hosting hosting, ConversationCatalog catalog) {
        this.hosting = hosting;
        this.catalog = catalog;
    }

    // ---- the list ------------------------------------------------------------------------------

    @Override
    public Conversation create(CreateConversationCommand command) {
        synchronized (changes) {
            StoredConversation stored = catalog.create(ConversationId.random(), command.title(),
                    hosting.clock().instant());
            Conversation created = summary(stored);
            hosting.events().publish(cursor -> new CompanionEvent.ConversationCreated(cursor,
                    hosting.clock().instant(), created));
            return created;
        }
    }

    @Override
    public ConversationPage list(ConversationQuery query) {
        List<StoredConversation> stored = catalog.conversations();
        if (query.search().isPresent()) {
            Set<ConversationId> matching = new HashSet<>(catalog.search(query.search().get()));
            stored = stored.stream().filter(conversation -> matching.contains(conversation.id())).toList();
        }
        List<Conversation> all = new ArrayList<>(stored.size());
        for (StoredConversation conversation : stored) {
            all.add(summary(conversation));
        }
        all.sort(NEWEST_FIRST);
        int from = 0;
        if (query.cursor().isPresent()) {
            ListPosition after = ListPosition.decode(query.cursor().get());
            while (from < all.size() && !after.isBefore(all.get(from))) {
                from++;
            }
        }
        int to = Math.min(all.size(), from + query.limit());
        List<Conversation> page = all.subList(from, to);
        Optional<String> next = to < all.size() && !page.isEmpty()
                ? Optional.of(ListPosition.of(page.get(page.size() - 1)).encode()) : Optional.empty();
        return new ConversationPage(page, next);
    }

    private static final Comparator<Conversation> NEWEST_FIRST = Comparator
            .comparing(Conversation::updatedAt).reversed()
            .thenComparing(conversation -> conversation.id().value());

    /**
     * Where a page ended: the last conversation's activity time and id. A page that starts after it
     * skips what came before even if conversations were added or touched in between, so no
     * conversation shows twice as the pages are read (one touched meanwhile moves to the top).
     */
    private record ListPosition(Instant updatedAt, String id) {

        static ListPosition of(Conversation conversation) {
            return new ListPosition(conversation.updatedAt(), conversation.id().value());
        }

        boolean isBefore(Conversation conversation) {
            int byTime = conversation.updatedAt().compareTo(updatedAt);
            return byTime < 0 || (byTime == 0 && conversation.id().value().compareTo(id) > 0);
        }

        String encode() {
            String plain = updatedAt.getEpochSecond() + "." + updatedAt.getNano() + "." + id;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
        }

        static ListPosition decode(String cursor) {
            try {
                String plain = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
                String[] parts = plain.split("\\.", 3);
                Instant at = Instant.ofEpochSecond(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
                return new ListPosition(at, new ConversationId(parts[2]).value());
            } catch (RuntimeException e) {
                throw new InvalidRequestException(Diagnostic.error(DiagnosticCode.INVALID_PARAMETER,
                        "The cursor is not one this server gave out; start the list again without it."));
            }
        }
    }

    @Override
    public Optional<Conversation> get(ConversationId id) {
        return catalog.find(id).map(this::summary);
    }

    @Override
    public Conversation rename(RenameConversationCommand command) {
        synchronized (changes) {
            if (catalog.find(command.id()).isEmpty()) {
                throw new ConversationNotFoundException(command.id());
            }
            Conversation renamed = summary(catalog.retitle(command.id(), command.title()));
            hosting.events().publish(cursor -> new CompanionEvent.ConversationRenamed(cursor,
                    hosting.clock().instant(), renamed));
            return renamed;
        }
    }

    @Override
    public DeleteResult delete(ConversationId id) {
        synchronized (changes) {
            if (catalog.find(id).isEmpty()) {
                throw new ConversationNotFoundException(id);
            }
            CompanionWorker worker = workers.get(id);
            // A turn here, or on another runtime sharing the store, keeps the conversation.
            Optional<dev.companion.core.model.TurnId> running = worker != null ? worker.markDeleted()
                    : hosting.leases().holder(id);
            if (running.isPresent()) {
                return new DeleteResult.Busy(running.get(), List.of(Diagnostic.warning(
                        DiagnosticCode.COMPANION_BUSY, "The Companion is answering in this conversation; "
                                + "cancel the reply or wait for it, then delete.")));
            }
            catalog.delete(id);
            workers.remove(id);
            hosting.events().publish(cursor -> new CompanionEvent.ConversationDeleted(cursor,
                    hosting.clock().instant(), id));
            return new DeleteResult.Deleted(id);
        }
    }

    @Override
    public Companion open(ConversationId id) {
        return worker(id);
    }

    private CompanionWorker worker(ConversationId id) {
        CompanionWorker existing = workers.get(id);
        if (existing != null) {
            return existing;
        }
        synchronized (changes) {
            if (catalog.find(id).isEmpty()) {
                if (!id.equals(ConversationId.DEFAULT)) {
                    throw new ConversationNotFoundException(id);
                }
                StoredConversation created;
                try {
                    created = catalog.create(id, Optional.empty(), hosting.clock().instant());
                } catch (IllegalArgumentException raced) {
                    // Another server on a shared store created it between the look and the create: use theirs.
                    if (catalog.find(id).isEmpty()) {
                        throw raced;
                    }
                    created = null;
                }
                if (created != null) {
                    Conversation summary = summary(created);
                    hosting.events().publish(cursor -> new CompanionEvent.ConversationCreated(cursor,
                            hosting.clock().instant(), summary));
                }
            }
            return workers.computeIfAbsent(id, key -> new CompanionWorker(key, hosting, catalog.transcript(key), this));
        }
    }

    /** The default conversation, created at start as every earlier release had it from the start. */
    Companion openDefault() {
        return worker(ConversationId.DEFAULT);
    }

    @Override
    public void userMessageStored(ConversationId conversation, TranscriptItem item) {
        synchronized (changes) {
            Optional<StoredConversation> stored = catalog.find(conversation);
            if (stored.isEmpty() || stored.get().title().isPresent()) {
                return;
            }
            String title = ConversationTitle.fromFirstMessage(item.content());
            if (title.isEmpty()) {
                return;
            }
            try {
                StoredConversation titled = catalog.retitle(conversation, title);
                Conversation renamed = summary(titled);
                hosting.events().publish(cursor -> new CompanionEvent.ConversationRenamed(cursor,
                        hosting.clock().instant(), renamed));
            } catch (StorageException e) {
                // The message is kept; only its automatic title is not. The next message tries again.
                LOG.log(Level.WARNING, "the conversation could not be titled: {0}", e.diagnostic().code());
            }
        }
    }

    private Conversation summary(StoredConversation stored) {
        CompanionWorker worker = workers.get(stored.id());
        CompanionState state = worker == null ? CompanionState.READY : worker.currentState();
        var transcript = catalog.transcript(stored.id());
        long size = transcript.size();
        Optional<TranscriptItem> newest = size == 0 ? Optional.empty()
                : transcript.read(size - 1, 1).stream().findFirst();
        Instant updated = newest.map(TranscriptItem::createdAt)
                .filter(at -> at.isAfter(stored.createdAt())).orElse(stored.createdAt());
        return new Conversation(stored.id(), stored.title(), stored.createdAt(), updated, size, state,
                newest.map(ConversationRegistry::preview));
    }

    private static String preview(TranscriptItem item) {
        String flat = item.content().strip().replaceAll("\\s+", " ");
        if (flat.codePointCount(0, flat.length()) <= PREVIEW_CHARACTERS) {
            return flat;
        }
        return flat.substring(0, flat.offsetByCodePoints(0, PREVIEW_CHARACTERS)) + "…";
    }

    // ---- events of every conversation ----------------------------------------------------------

    @Override
    public long latestCursor() {
        return hosting.events().latestCursor();
    }

    @Override
    public EventReplay eventsAfter(long cursor, int max) {
        return hosting.events().after(cursor, max);
    }

    @Override
    public Subscription subscribe(long cursor, EventListener listener) {
        return hosting.events().subscribe(cursor, listener);
    }

    // ---- the Companion as a worker of the runtime ----------------------------------------------

    @Override
    public String id() {
        return hosting.profile().id();
    }

    @Override
    public WorkerSnapshot snapshot() {
        CompanionState state = hosting.permits().running() > 0 ? CompanionState.BUSY : CompanionState.READY;
        return new WorkerSnapshot(hosting.profile().id(), hosting.profile().label(), state, hosting.profile(),
                AuthorityPolicy.CONVERSATION_ONLY);
    }

    @Override
    public List<Diagnostic> storeDiagnostics() {
        return catalog.diagnostics();
    }

    /** Ends the turns other runtimes left behind when they died, and tells this runtime's readers. */
    void reclaimExpiredTurns() {
        try {
            for (dev.companion.core.port.TurnLeases.ReclaimedTurn reclaimed : hosting.leases().reclaimExpired()) {
                try {
                    worker(reclaimed.conversation()).announceReclaimed(reclaimed, true);
                } catch (ConversationNotFoundException | IllegalArgumentException gone) {
                    // deleted meanwhile: nobody follows it any more
                }
            }
        } catch (RuntimeException e) {
            // A sweep is retried at its next interval; it must never stop the timer.
            LOG.log(Level.FINE, "expired turn leases were not swept", e);
        }
    }

    void interruptAll() {
        workers.values().forEach(CompanionWorker::interrupt);
    }

}
