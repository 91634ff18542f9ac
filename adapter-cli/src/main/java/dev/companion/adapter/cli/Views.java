package dev.companion.adapter.cli;

import dev.companion.core.ConversationPage;
import dev.companion.core.model.Capability;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.ReplyDetails;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.WorkerSnapshot;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The JSON shapes the CLI prints: the same snake_case projections the HTTP API uses, with every word
 * (state, outcome, item status, diagnostic code) taken from the core's one home for it.
 */
final class Views {

    private Views() {
    }

    static Map<String, Object> status(CompanionStatus status) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("state", status.state().wireName());
        json.put("conversation_id", status.conversation().value());
        json.put("worker", worker(status.worker()));
        Map<String, Object> transport = new LinkedHashMap<>();
        transport.put("kind", status.transport().kind());
        transport.put("completion", status.transport().completion());
        transport.put("limitation", status.transport().limitation());
        json.put("transport", transport);
        Map<String, Object> provider = new LinkedHashMap<>();
        provider.put("kind", status.provider().kind());
        provider.put("model", status.provider().model());
        provider.put("live", status.provider().live());
        provider.put("host", status.provider().host());
        provider.put("reason", status.provider().reason());
        json.put("provider", provider);
        json.put("authority", status.authority());
        runningTurn(json, status.runningTurn());
        json.put("diagnostics", diagnostics(status.diagnostics()));
        return json;
    }

    /**
     * {@code running_turn_id}, as HTTP names it, and {@code running_turn}, the name earlier releases of
     * the CLI printed: kept as a deprecated alias for one release so scripts can move over.
     */
    static void runningTurn(Map<String, Object> json, Optional<TurnId> turn) {
        Optional<String> id = turn.map(TurnId::value);
        json.put("running_turn_id", id);
        json.put("running_turn", id);
    }

    static Map<String, Object> conversation(Conversation conversation) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", conversation.id().value());
        json.put("title", conversation.title());
        json.put("created_at", conversation.createdAt().toString());
        json.put("updated_at", conversation.updatedAt().toString());
        json.put("item_count", conversation.itemCount());
        json.put("state", conversation.state().wireName());
        json.put("preview", conversation.preview());
        return json;
    }

    static Map<String, Object> conversations(ConversationPage page) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("state", CompanionState.READY.wireName());
        json.put("conversations", page.conversations().stream().map(Views::conversation).toList());
        json.put("next_cursor", page.nextCursor());
        json.put("diagnostics", List.of());
        return json;
    }

    static Map<String, Object> worker(WorkerSnapshot worker) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", worker.id());
        json.put("label", worker.label());
        json.put("status", worker.status().wireName());
        Map<String, Object> profile = new LinkedHashMap<>();
        profile.put("id", worker.profile().id());
        profile.put("label", worker.profile().label());
        json.put("profile", profile);
        json.put("authority", worker.authority());
        json.put("capabilities", capabilities(worker));
        return json;
    }

    static List<String> capabilities(WorkerSnapshot worker) {
        return worker.profile().capabilities().granted().stream().map(Capability::wireName).toList();
    }

    static Map<String, Object> page(TranscriptPage page) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("state", CompanionState.READY.wireName());
        json.put("start", page.start());
        json.put("limit", page.limit());
        json.put("total_items", page.totalItems());
        json.put("next_start", page.nextStart());
        json.put("previous_start", page.previousStart());
        json.put("items", page.items().stream().map(Views::item).toList());
        json.put("diagnostics", diagnostics(page.diagnostics()));
        return json;
    }

    /**
     * An item as HTTP's item shape has it, field for field: a reply's {@code reasoning},
     * {@code reasoning_ms} and {@code usage} are null when it has none (always for a user item), and its
     * {@code diagnostics} say how it ended.
     */
    static Map<String, Object> item(TranscriptItem item) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("sequence", item.sequence());
        json.put("role", item.role().wireName());
        json.put("content", item.content());
        json.put("created_at", item.createdAt().toString());
        json.put("source", item.source());
        json.put("status", item.status().wireName());
        json.put("turn_id", item.turnId().value());
        ReplyDetails details = item.details();
        json.put("reasoning", details.reasoning().isEmpty() ? null : details.reasoning());
        json.put("reasoning_ms", details.reasoningTime().map(Duration::toMillis));
        json.put("usage", details.usage().map(Views::usage));
        json.put("diagnostics", diagnostics(details.diagnostics()));
        return json;
    }

    static Map<String, Object> usage(TokenUsage usage) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("input_tokens", usage.inputTokens());
        json.put("output_tokens", usage.outputTokens());
        json.put("reasoning_tokens", usage.reasoningTokens());
        return json;
    }

    static List<Map<String, Object>> diagnostics(List<Diagnostic> diagnostics) {
        return diagnostics.stream().map(Views::diagnostic).toList();
    }

    static Map<String, Object> diagnostic(Diagnostic diagnostic) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("code", diagnostic.code().wireName());
        json.put("severity", diagnostic.severity().wireName());
        json.put("message", diagnostic.message());
        return json;
    }
}
