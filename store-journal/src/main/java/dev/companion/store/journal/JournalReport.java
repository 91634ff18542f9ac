package dev.companion.store.journal;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.Role;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The words of the journal's start-up diagnostics. They reach browsers, so they name items, turns,
 * byte offsets and at most a file's base name, never a path.
 *
 * <p>A repair cannot tell a write cut short by a crash (never acknowledged) from an acknowledged record
 * damaged later (a lost write, a truncated copy, a failing disk): both leave the same bytes. So the
 * diagnostics never say what was cut was unacknowledged; they name it and say it may have been.
 */
final class JournalReport {

    /** Named one by one up to this many; the rest are counted, so a message stays readable. */
    private static final int NAMED_MAX = 10;

    private JournalReport() {
    }

    /**
     * What a repair at start cut off or found missing. {@code brokenFile} is the base name of the file
     * that keeps the cut bytes, empty when no byte was cut.
     */
    static Diagnostic tailRepaired(JournalRecovery.Plan plan, Optional<String> brokenFile) {
        StringBuilder message = new StringBuilder();
        long cut = plan.fileSize() - plan.goodEnd();
        if (cut > 0) {
            message.append("At start the end of the transcript journal was incomplete or damaged (by a crash or power "
                    + "loss during a write, or by damage to the file), so ").append(bytes(cut))
                    .append(" from byte ").append(plan.goodEnd()).append(cut == 1 ? " was" : " were").append(" cut off. ");
        } else {
            message.append("At start the transcript journal ended earlier than its index says it did (its end was lost "
                    + "by a crash or power loss during a write, or by damage to the file). ");
        }
        List<JournalRecovery.Lost> lost = plan.lost();
        if (lost.isEmpty()) {
            message.append(plan.writeHeader() ? "They were part of the journal's header, which holds no item. "
                    : "They held no record. ");
        } else {
            message.append("Lost: ").append(list(lost)).append(". ");
            message.append(lost.size() == 1
                    ? "It may have been acknowledged before the damage, and it is no longer in the transcript. "
                    : "Each may have been acknowledged before the damage, and none is in the transcript any more. ");
        }
        if (brokenFile.isPresent()) {
            message.append("The cut bytes are kept beside the journal in ").append(brokenFile.get()).append('.');
        } else {
            message.append("No byte of ").append(lost.size() == 1 ? "it" : "them").append(" was left to keep.");
        }
        return Diagnostic.warning(DiagnosticCode.JOURNAL_TAIL_REPAIRED, message.toString().strip());
    }

    /**
     * The reply of {@code turn}, added as item {@code sequence} marked interrupted. Honest about a stored
     * reply that the repair dropped: then it replaces that reply, it does not continue it.
     */
    static Diagnostic recoveredReply(JournalRecovery.OpenTurn turn, long sequence, List<JournalRecovery.Lost> lost) {
        String kept = turn.text().length() + " characters of reply text that survived in the journal";
        // A reply record right after the turn's user item is that turn's reply, even with its turn unreadable.
        boolean replyLost = lost.stream().anyMatch(l -> l instanceof JournalRecovery.LostItem item
                && item.role().equals(Optional.of(Role.ASSISTANT))
                && item.turn().map(turn.turn()::equals).orElse(true));
        boolean maybeReplyLost = !replyLost && lost.stream().anyMatch(l -> l instanceof JournalRecovery.Missing
                || l instanceof JournalRecovery.Unreadable u && u.sequence() >= 0
                || l instanceof JournalRecovery.LostItem item && item.role().isEmpty());
        String message;
        if (replyLost) {
            message = "The stored reply of turn " + turn.turn() + " was damaged at the end of the journal and cut off "
                    + "(see journal_tail_repaired). In its place, item " + sequence + " is now a reply marked "
                    + "interrupted, with the " + kept + ".";
        } else if (maybeReplyLost) {
            message = "The reply of turn " + turn.turn() + " is missing: the server stopped while writing it, or its "
                    + "stored record was lost with the damaged end of the journal (see journal_tail_repaired). It was "
                    + "added as item " + sequence + ", marked interrupted, with the " + kept + ".";
        } else {
            message = "The reply of turn " + turn.turn() + " was not finished in the journal, most likely because the "
                    + "server stopped while writing it. It was kept as item " + sequence + ", marked interrupted, with the "
                    + kept + ".";
        }
        return Diagnostic.warning(DiagnosticCode.JOURNAL_RECOVERED_INTERRUPTED_REPLY, message);
    }

    /** Who besides the owner can reach the data directory, by the base names of its files. */
    static Diagnostic permissive(List<DataDirectory.Exposure> exposures) {
        List<String> problems = new ArrayList<>();
        boolean read = false;
        boolean written = false;
        for (DataDirectory.Exposure exposure : exposures) {
            List<String> can = new ArrayList<>();
            if (!exposure.readers().isEmpty()) {
                can.add("read by " + exposure.readers());
                read = true;
            }
            if (!exposure.writers().isEmpty()) {
                can.add("written by " + exposure.writers());
                written = true;
            }
            String what = exposure.name() == null ? "the data directory"
                    : exposure.name().endsWith("/") ? "its directory " + exposure.name().substring(0, exposure.name().length() - 1)
                    : exposure.name();
            problems.add(what + " can be " + String.join(" and ", can));
        }
        String risk = read && written ? "read, change or delete the conversation"
                : read ? "read the conversation" : "change or delete the conversation";
        return Diagnostic.warning(DiagnosticCode.DATA_DIRECTORY_PERMISSIVE,
                "Other users of this machine can reach the transcript: " + String.join("; ", problems) + ", so they "
                        + "could " + risk + ". Make the data directory and its files private to the server's user: "
                        + "chmod 700 on the directory and chmod 600 on the files in it.");
    }

    private static String list(List<JournalRecovery.Lost> lost) {
        List<String> named = new ArrayList<>();
        for (int i = 0; i < lost.size() && i < NAMED_MAX; i++) {
            named.add(describe(lost.get(i)));
        }
        if (lost.size() > NAMED_MAX) {
            named.add((lost.size() - NAMED_MAX) + " more");
        }
        return String.join("; ", named);
    }

    private static String describe(JournalRecovery.Lost lost) {
        if (lost instanceof JournalRecovery.LostItem item) {
            String what = item.role().map(role -> switch (role) {
                case USER -> "a user message";
                case ASSISTANT -> "an assistant reply";
            }).orElse("role unreadable");
            String turn = item.role().isEmpty() ? "" : ", " + item.turn().map(t -> "turn " + t).orElse("turn unreadable");
            return "item " + item.sequence() + " (" + what + turn + "), from the damaged record at byte " + item.offset()
                    + " (" + bytes(item.length()) + " left of it)";
        }
        if (lost instanceof JournalRecovery.LostProgress progress) {
            return "reply text of turn " + progress.turn() + ", from the damaged progress record at byte "
                    + progress.offset() + " (" + bytes(progress.length()) + " left of it)";
        }
        if (lost instanceof JournalRecovery.LostStatusChange change) {
            return "a change of status (items marked superseded), from the damaged record at byte " + change.offset()
                    + " (" + bytes(change.length()) + " left of it); those items keep the status they had before";
        }
        if (lost instanceof JournalRecovery.Unreadable unreadable) {
            return bytes(unreadable.length()) + " at byte " + unreadable.offset() + " that do not form a readable record"
                    + (unreadable.sequence() >= 0 ? ", which would have been item " + unreadable.sequence()
                    + " had they held an item" : "");
        }
        JournalRecovery.Missing missing = (JournalRecovery.Missing) lost;
        return "item " + missing.sequence() + " (role and turn unknown), which the index places at byte "
                + missing.offset() + " where nothing of it is left";
    }

    private static String bytes(long count) {
        return count == 1 ? "1 byte" : count + " bytes";
    }
}
