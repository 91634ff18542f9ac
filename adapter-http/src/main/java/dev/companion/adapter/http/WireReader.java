package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.ConversationPage;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.model.Capabilities;
import dev.companion.core.model.Capability;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Profile;
import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.ReplyDetails;
import dev.companion.core.model.Role;
import dev.companion.core.model.Severity;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TransportInfo;
import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnEnd;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.model.WorkerSnapshot;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The other direction of {@link Wire}: the server's JSON back into core types, for the client. Every
 * word is looked up in the core's own vocabulary (the enums' wire names, the events' names), never
 * spelled here. A code or state this build does not know (a newer server) is read as the nearest it
 * does know rather than failing the whole answer.
 */
final class WireReader {

    private static final Map<String, CompanionState> STATES = byWireName(CompanionState.values(),
            CompanionState::wireName);
    private static final Map<String, DiagnosticCode> CODES = byWireName(DiagnosticCode.values(),
            DiagnosticCode::wireName);
    private static final Map<String, Severity> SEVERITIES = byWireName(Severity.values(), Severity::wireName);
    private static final Map<String, ItemStatus> ITEM_STATUSES = byWireName(ItemStatus.values(), ItemStatus::wireName);
    private static final Map<String, Role> ROLES = byWireName(Role.values(), Role::wireName);
    private static final Map<String, Capability> CAPABILITIES = byWireName(Capability.values(), Capability::wireName);
    private static final Map<String, TurnEnd> ENDS_BY_EVENT = byWireName(TurnEnd.values(), TurnEnd::eventName);

    private WireReader() {
    }

    private static <E> Map<String, E> byWireName(E[] values, Function<E, String> wireName) {
        return Stream.of(values).collect(Collectors.toUnmodifiableMap(wireName, value -> value));
    }

    static CompanionState state(JsonNode node) {
        return STATES.getOrDefault(node.asText(), CompanionState.ERROR);
    }

    static Diagnostic diagnostic(JsonNode node) {
        DiagnosticCode code = CODES.getOrDefault(node.path("code").asText(), DiagnosticCode.INTERNAL_ERROR);
        Severity severity = SEVERITIES.getOrDefault(node.path("severity").asText(), Severity.ERROR);
        String message = node.path("message").asText();
        return new Diagnostic(code, severity, message.isBlank() ? code.wireName() : message);
    }

    static List<Diagnostic> diagnostics(JsonNode node) {
        List<Diagnostic> diagnostics = new ArrayList<>();
        node.path("diagnostics").forEach(d -> diagnostics.add(diagnostic(d)));
        return diagnostics;
    }

    static TranscriptItem item(JsonNode node) {
        JsonNode usage = node.path("usage");
        ReplyDetails details = new ReplyDetails(text(node.get("reasoning")).orElse(""),
                number(node.get("reasoning_ms")).isPresent()
                        ? Optional.of(Duration.ofMillis(node.get("reasoning_ms").asLong())) : Optional.empty(),
                usage.isObject() ? Optional.of(new TokenUsage(usage.path("input_tokens").asLong(),
                        usage.path("output_tokens").asLong(), usage.path("reasoning_tokens").asLong()))
                        : Optional.empty(),
                diagnostics(node));
        return new TranscriptItem(node.path("sequence").asLong(),
                ROLES.getOrDefault(node.path("role").asText(), Role.ASSISTANT),
                node.path("content").asText(), Instant.parse(node.path("created_at").asText()),
                node.path("source").asText(),
                ITEM_STATUSES.getOrDefault(node.path("status").asText(), ItemStatus.INCOMPLETE),
                new TurnId(node.path("turn_id").asText()), details);
    }

    static Optional<TranscriptItem> optionalItem(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? Optional.empty() : Optional.of(item(node));
    }

    static WorkerSnapshot worker(JsonNode node) {
        EnumSet<Capability> capabilities = EnumSet.noneOf(Capability.class);
        // a capability this build does not know is not one it will show as granted
        node.path("capabilities").forEach(c -> Optional.ofNullable(CAPABILITIES.get(c.asText()))
                .ifPresent(capabilities::add));
        JsonNode profile = node.path("profile");
        return new WorkerSnapshot(node.path("id").asText(), node.path("label").asText(), state(node.path("status")),
                new Profile(profile.path("id").asText(), profile.path("label").asText(),
                        profile.path("system_prompt").asText(), new Capabilities(capabilities)),
                node.path("authority").asText());
    }

    /**
     * A status answer; a server of an earlier release names no conversation, and then it is
     * {@code fallback}, the one asked about.
     */
    static CompanionStatus status(JsonNode node, ConversationId fallback) {
        JsonNode transport = node.path("transport");
        JsonNode provider = node.path("provider");
        ConversationId conversation = text(node.get("conversation_id")).filter(ConversationId::isWellFormed)
                .map(ConversationId::new).orElse(fallback);
        return new CompanionStatus(conversation, state(node.path("state")), worker(node.path("worker")),
                new TransportInfo(transport.path("kind").asText(), transport.path("completion").asText(),
                        text(transport.path("limitation"))),
                new ProviderInfo(provider.path("kind").asText(), provider.path("model").asText(),
                        provider.path("live").asBoolean(), text(provider.path("host")), text(provider.path("reason"))),
                node.path("authority").asText(), text(node.path("running_turn_id")).map(TurnId::new),
                diagnostics(node));
    }

    static TranscriptPage page(JsonNode node) {
        List<TranscriptItem> items = new ArrayList<>();
        node.path("items").forEach(i -> items.add(item(i)));
        return new TranscriptPage(node.path("start").asLong(), node.path("limit").asInt(),
                node.path("total_items").asLong(), number(node.path("next_start")),
                number(node.path("previous_start")), items, diagnostics(node));
    }

    static Conversation conversation(JsonNode node) {
        return new Conversation(new ConversationId(node.path("id").asText()), text(node.get("title")),
                Instant.parse(node.path("created_at").asText()), Instant.parse(node.path("updated_at").asText()),
                node.path("item_count").asLong(), state(node.path("state")), text(node.get("preview")));
    }

    static ConversationPage conversationPage(JsonNode node) {
        List<Conversation> conversations = new ArrayList<>();
        node.path("conversations").forEach(c -> conversations.add(conversation(c)));
        return new ConversationPage(conversations, text(node.get("next_cursor")));
    }

    /** A turn's outcome from its wire name, state, reply and diagnostics; an unknown name is a failure. */
    static TurnOutcome outcome(String name, TurnId turn, CompanionState state, Optional<TranscriptItem> reply,
                               List<Diagnostic> diagnostics) {
        TurnEnd end;
        try {
            end = TurnEnd.fromWireName(name);
        } catch (IllegalArgumentException unknown) {
            end = TurnEnd.FAILED;
        }
        return switch (end) {
            case COMPLETED -> new TurnOutcome.Completed(turn, reply, diagnostics);
            case CANCELLED -> new TurnOutcome.Cancelled(turn, reply, diagnostics);
            case TIMED_OUT -> new TurnOutcome.TimedOut(turn, reply, diagnostics);
            case FAILED -> new TurnOutcome.Failed(turn, state == CompanionState.BUSY ? CompanionState.BUSY
                    : CompanionState.ERROR, reply, diagnostics);
        };
    }

    /**
     * An event frame's data, or empty for a frame this build does not know. A server of an earlier
     * release names no conversation: its events are the default conversation's.
     */
    static Optional<CompanionEvent> event(String name, JsonNode data) {
        long cursor = data.path("cursor").asLong();
        Instant at = Instant.parse(data.path("at").asText());
        ConversationId conversation = text(data.get("conversation_id")).filter(ConversationId::isWellFormed)
                .map(ConversationId::new).orElse(ConversationId.DEFAULT);
        TurnId turn = data.hasNonNull("turn_id") ? new TurnId(data.path("turn_id").asText()) : null;
        TurnEnd end = ENDS_BY_EVENT.get(name);
        if (end != null) {
            String outcome = data.hasNonNull("outcome") ? data.path("outcome").asText() : end.wireName();
            return Optional.of(new CompanionEvent.TurnEnded(cursor, at, conversation, outcome(outcome, turn,
                    state(data.path("state")), optionalItem(data.get("reply")), diagnostics(data))));
        }
        EventName known = EventName.of(name);
        if (known == null) {
            return Optional.empty();
        }
        return Optional.of(switch (known) {
            case STATE_CHANGED -> new CompanionEvent.StateChanged(cursor, at, conversation, state(data.path("from")),
                    state(data.path("to")));
            case TURN_STARTED -> new CompanionEvent.TurnStarted(cursor, at, conversation,
                    new Turn(turn, item(data.path("item")), at));
            case TEXT_DELTA -> new CompanionEvent.TextDelta(cursor, at, conversation, turn, data.path("text").asText());
            case REASONING_DELTA -> new CompanionEvent.ReasoningDelta(cursor, at, conversation, turn,
                    data.path("text").asText());
            case CONVERSATION_CREATED -> new CompanionEvent.ConversationCreated(cursor, at,
                    conversation(data.path("conversation")));
            case CONVERSATION_RENAMED -> new CompanionEvent.ConversationRenamed(cursor, at,
                    conversation(data.path("conversation")));
            case CONVERSATION_DELETED -> new CompanionEvent.ConversationDeleted(cursor, at, conversation);
        });
    }

    /**
     * The kinds of event other than a turn's end, each known by the name the core gives it: the
     * name is read from an event of that kind, so this adapter never spells one.
     */
    private enum EventName {
        STATE_CHANGED(new CompanionEvent.StateChanged(0, Instant.EPOCH, ConversationId.DEFAULT,
                CompanionState.READY, CompanionState.READY)),
        TURN_STARTED(new CompanionEvent.TurnStarted(0, Instant.EPOCH, ConversationId.DEFAULT,
                new Turn(new TurnId("t"), new TranscriptItem(0, Role.USER, "", Instant.EPOCH, "", ItemStatus.ACCEPTED,
                        new TurnId("t")), Instant.EPOCH))),
        TEXT_DELTA(new CompanionEvent.TextDelta(0, Instant.EPOCH, ConversationId.DEFAULT, new TurnId("t"), "")),
        REASONING_DELTA(new CompanionEvent.ReasoningDelta(0, Instant.EPOCH, ConversationId.DEFAULT, new TurnId("t"),
                "")),
        CONVERSATION_CREATED(new CompanionEvent.ConversationCreated(0, Instant.EPOCH, sampleConversation())),
        CONVERSATION_RENAMED(new CompanionEvent.ConversationRenamed(0, Instant.EPOCH, sampleConversation())),
        CONVERSATION_DELETED(new CompanionEvent.ConversationDeleted(0, Instant.EPOCH, ConversationId.DEFAULT));

        private final String wireName;

        EventName(CompanionEvent sample) {
            this.wireName = sample.name();
        }

        static EventName of(String wireName) {
            for (EventName name : values()) {
                if (name.wireName.equals(wireName)) {
                    return name;
                }
            }
            return null;
        }

        private static Conversation sampleConversation() {
            return new Conversation(ConversationId.DEFAULT, Optional.empty(), Instant.EPOCH, Instant.EPOCH, 0,
                    CompanionState.READY, Optional.empty());
        }
    }

    /** Every event name the core gives: each kind of event and each way a turn ends. */
    static java.util.Set<String> eventNames() {
        java.util.Set<String> names = new java.util.TreeSet<>(ENDS_BY_EVENT.keySet());
        for (EventName name : EventName.values()) {
            names.add(name.wireName);
        }
        return names;
    }

    static Optional<String> text(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? Optional.empty() : Optional.of(node.asText());
    }

    private static OptionalLong number(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? OptionalLong.empty()
                : OptionalLong.of(node.asLong());
    }
}
