package dev.companion.app;

import dev.companion.adapter.cli.CompanionCommandLine.RefusedConversation;
import dev.companion.adapter.cli.CompanionCommandLine.StoreImport;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ReplyDetails;
import dev.companion.core.model.TranscriptEntry;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.port.ConversationCatalog;
import dev.companion.core.port.StoredConversation;
import dev.companion.core.port.TranscriptStore;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Copies every conversation of one catalogue into another ({@code companion store import}: a data
 * directory's journals into the shared database), so that running it again adds nothing twice.
 *
 * <p>For each conversation of the source, by id:
 * <ul>
 *   <li>not in the target: created with the source's title and creation time, and every item copied
 *       (imported);</li>
 *   <li>in the target with the same items: left alone (skipped);</li>
 *   <li>in the target with the source's first items: the rest appended, and items the source has
 *       marked superseded since (a regenerate after an earlier import) marked so too (extended); an
 *       untitled target takes the source's title;</li>
 *   <li>in the target with other items, or more: left as it is and reported (refused). The
 *       conversations after it are still copied.</li>
 * </ul>
 * Items are compared whole (role, words, time, source, status, turn, details), as the target can
 * hold them: a store that keeps NUL as U+FFFD (PostgreSQL) compares with the source's NUL replaced.
 * A crash or an outage part-way leaves the target with a beginning of a conversation, which the
 * next run completes.
 */
final class ConversationCopy {

    /** Appends a batch of entries to one conversation of the target, all or none. */
    @FunctionalInterface
    interface BatchAppender {
        List<TranscriptItem> appendAll(dev.companion.core.model.ConversationId id, List<TranscriptEntry> entries);
    }

    /** Items are read and appended this many at a time: one page, one transaction. */
    static final int BATCH = 500;

    private final ConversationCatalog source;
    private final ConversationCatalog target;
    private final BatchAppender appender;

    ConversationCopy(ConversationCatalog source, ConversationCatalog target, BatchAppender appender) {
        this.source = Objects.requireNonNull(source, "source");
        this.target = Objects.requireNonNull(target, "target");
        this.appender = Objects.requireNonNull(appender, "appender");
    }

    /** Copies what the target lacks, conversation by conversation, oldest first. */
    StoreImport run() {
        int imported = 0;
        int extended = 0;
        int skipped = 0;
        long itemsCopied = 0;
        long itemsSuperseded = 0;
        List<RefusedConversation> refused = new ArrayList<>();
        List<StoredConversation> conversations = new ArrayList<>(source.conversations());
        conversations.sort(java.util.Comparator.comparing(StoredConversation::createdAt)
                .thenComparing(conversation -> conversation.id().value()));
        for (StoredConversation conversation : conversations) {
            Outcome outcome = copy(conversation);
            switch (outcome.kind()) {
                case IMPORTED -> imported++;
                case EXTENDED -> extended++;
                case SKIPPED -> skipped++;
                case REFUSED -> refused.add(new RefusedConversation(conversation.id(), outcome.reason()));
            }
            itemsCopied += outcome.copied();
            itemsSuperseded += outcome.superseded();
        }
        return new StoreImport(imported, extended, skipped, itemsCopied, itemsSuperseded, refused);
    }

    private enum Kind { IMPORTED, EXTENDED, SKIPPED, REFUSED }

    private record Outcome(Kind kind, long copied, long superseded, String reason) {
        static Outcome refused(String reason) {
            return new Outcome(Kind.REFUSED, 0, 0, reason);
        }
    }

    private Outcome copy(StoredConversation conversation) {
        TranscriptStore from = source.transcript(conversation.id());
        long size = from.size();
        Optional<StoredConversation> there = target.find(conversation.id());
        if (there.isEmpty()) {
            target.create(conversation.id(), conversation.title(), conversation.createdAt());
            long copied = append(conversation, from, 0, size);
            return new Outcome(Kind.IMPORTED, copied, 0, null);
        }
        TranscriptStore to = target.transcript(conversation.id());
        long held = to.size();
        if (held > size) {
            return Outcome.refused("the database holds " + held + " items, the data directory " + size
                    + "; it was changed in the database");
        }
        Set<Long> toSupersede = new LinkedHashSet<>();
        for (long start = 0; start < held; start += BATCH) {
            int limit = (int) Math.min(BATCH, held - start);
            List<TranscriptItem> ours = from.read(start, limit);
            List<TranscriptItem> theirs = to.read(start, limit);
            if (ours.size() != limit || theirs.size() != limit) {
                return Outcome.refused("its items could not be read in full");
            }
            for (int i = 0; i < limit; i++) {
                TranscriptItem wanted = storable(ours.get(i));
                TranscriptItem found = theirs.get(i);
                if (wanted.equals(found)) {
                    continue;
                }
                if (wanted.status() == ItemStatus.SUPERSEDED && wanted.equals(found.withStatus(ItemStatus.SUPERSEDED))) {
                    toSupersede.add(found.sequence());
                    continue;
                }
                return Outcome.refused("the database holds another item at position " + found.sequence()
                        + " than the data directory; it was changed in the database");
            }
        }
        long copied = append(conversation, from, held, size);
        if (!toSupersede.isEmpty()) {
            to.supersede(toSupersede);
        }
        if (there.get().title().isEmpty() && conversation.title().isPresent()) {
            target.retitle(conversation.id(), conversation.title().get());
        }
        boolean changed = copied > 0 || !toSupersede.isEmpty();
        return new Outcome(changed ? Kind.EXTENDED : Kind.SKIPPED, copied, toSupersede.size(), null);
    }

    /** Appends the source's items {@code [start, end)} in batches; returns how many. */
    private long append(StoredConversation conversation, TranscriptStore from, long start, long end) {
        long copied = 0;
        for (long at = start; at < end; at += BATCH) {
            List<TranscriptItem> page = from.read(at, (int) Math.min(BATCH, end - at));
            if (page.isEmpty()) {
                break;
            }
            List<TranscriptEntry> entries = page.stream()
                    .map(item -> new TranscriptEntry(item.role(), item.content(), item.createdAt(), item.source(),
                            item.status(), item.turnId(), item.details()))
                    .toList();
            copied += appender.appendAll(conversation.id(), entries).size();
        }
        return copied;
    }

    /**
     * The item as a target that cannot hold NUL keeps it (as U+FFFD); for comparing only. A NUL can
     * only come from a model, never from a person (user messages refuse it).
     */
    static TranscriptItem storable(TranscriptItem item) {
        ReplyDetails details = item.details();
        if (!hasNul(item.content()) && !hasNul(details.reasoning())
                && details.diagnostics().stream().noneMatch(d -> hasNul(d.message()))) {
            return item;
        }
        List<Diagnostic> notes = details.diagnostics().stream()
                .map(d -> new Diagnostic(d.code(), d.severity(), withoutNul(d.message())))
                .toList();
        return new TranscriptItem(item.sequence(), item.role(), withoutNul(item.content()), item.createdAt(),
                item.source(), item.status(), item.turnId(),
                new ReplyDetails(withoutNul(details.reasoning()), details.reasoningTime(), details.usage(), notes));
    }

    private static boolean hasNul(String text) {
        return text.indexOf('\0') >= 0;
    }

    private static String withoutNul(String text) {
        return text.replace('\0', '\uFFFD');
    }
}
