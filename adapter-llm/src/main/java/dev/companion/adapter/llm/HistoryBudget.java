package dev.companion.adapter.llm;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.Role;
import dev.companion.core.port.ChatMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Keeps the newest messages whose characters fit the budget. The newest (the user's) message is
 * always kept; the system prompt is not part of the history and is always sent.
 */
final class HistoryBudget {

    record Trimmed(List<ChatMessage> messages, Optional<Diagnostic> diagnostic) {
    }

    private HistoryBudget() {
    }

    /**
     * The same conversation with roles alternating, as many chat templates (llama.cpp's among them)
     * require: a reply that failed before any text leaves two user messages side by side, and those
     * are sent as one, joined by a blank line. Nothing is added or dropped.
     */
    static List<ChatMessage> alternating(List<ChatMessage> messages) {
        List<ChatMessage> joined = new ArrayList<>(messages.size());
        for (ChatMessage message : messages) {
            int last = joined.size() - 1;
            if (last >= 0 && joined.get(last).role() == message.role()) {
                joined.set(last, new ChatMessage(message.role(), joined.get(last).content() + "\n\n" + message.content()));
            } else {
                joined.add(message);
            }
        }
        return joined;
    }

    static Trimmed trim(List<ChatMessage> messages, int budgetChars) {
        int last = messages.size() - 1;
        int start = last;
        long used = messages.get(last).content().length();
        while (start > 0 && used + messages.get(start - 1).content().length() <= budgetChars) {
            start--;
            used += messages.get(start).content().length();
        }
        // Providers expect a conversation to open with the user, so a kept history starts on one.
        while (start < last && messages.get(start).role() != Role.USER) {
            start++;
        }
        if (start == 0) {
            return new Trimmed(messages, Optional.empty());
        }
        return new Trimmed(List.copyOf(messages.subList(start, messages.size())),
                Optional.of(Diagnostic.info(DiagnosticCode.HISTORY_TRUNCATED, start
                        + " earlier messages were left out of what the model was sent, to stay within the history budget of "
                        + budgetChars + " characters.")));
    }
}
