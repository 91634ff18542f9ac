package dev.companion.adapter.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.model.Capabilities;
import dev.companion.core.model.Capability;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.Profile;
import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.Role;
import dev.companion.core.model.Severity;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TransportInfo;
import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.model.WorkerSnapshot;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The other direction of {@link Wire}: the server's JSON back into core types, for the client. A
 * code or state this build does not know (a newer server) is read as the nearest it does know
 * rather than failing the whole answer.
 */
final class WireReader {

    private WireReader() {
    }

    static CompanionState state(JsonNode node) {
        try {
            return CompanionState.valueOf(node.asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return CompanionState.ERROR;
        }
    }

    static Diagnostic diagnostic(JsonNode node) {
        DiagnosticCode code;
        try {
            code = DiagnosticCode.valueOf(node.path("code").asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            code = DiagnosticCode.INTERNAL_ERROR;
        }
        Severity severity;
        try {
            severity = Severity.valueOf(node.path("severity").asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            severity = Severity.ERROR;
        }
        String message = node.path("message").asText();
        return new Diagnostic(code, severity, message.isBlank() ? code.wireName() : message);
    }

    static List<Diagnostic> diagnostics(JsonNode node) {
        List<Diagnostic> diagnostics = new ArrayList<>();
        node.path("diagnostics").forEach(d -> diagnostics.add(diagnostic(d)));
        return diagnostics;
    }

    static TranscriptItem item(JsonNode node) {
        return new TranscriptItem(node.path("sequence").asLong(),
                Role.valueOf(node.path("role").asText().toUpperCase(Locale.ROOT)),
                node.path("content").asText(), Instant.parse(node.path("created_at").asText()),
                node.path("source").asText(), itemStatus(node.path("status").asText()),
                new TurnId(node.path("turn_id").asText()));
    }

    static Optional<TranscriptItem> optionalItem(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? Optional.empty() : Optional.of(item(node));
    }

    private static ItemStatus itemStatus(String wire) {
        try {
            return ItemStatus.valueOf(wire.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return ItemStatus.INCOMPLETE;
        }
    }

    static WorkerSnapshot worker(JsonNode node) {
        EnumSet<Capability> capabilities = EnumSet.noneOf(Capability.class);
        node.path("capabilities").forEach(c -> {
            try {
                capabilities.add(Capability.valueOf(c.asText().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                // a capability this build does not know is not one it will show as granted
            }
        });
        JsonNode profile = node.path("profile");
        return new WorkerSnapshot(node.path("id").asText(), node.path("label").asText(), state(node.path("status")),
                new Profile(profile.path("id").asText(), profile.path("label").asText(),
                        profile.path("system_prompt").asText(), new Capabilities(capabilities)),
                node.path("authority").asText());
    }

    static CompanionStatus status(JsonNode node) {
        JsonNode transport = node.path("transport");
        JsonNode provider = node.path("provider");
        return new CompanionStatus(state(node.path("state")), worker(node.path("worker")),
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

    /** A turn's outcome from its wire name, state, reply and diagnostics. */
    static TurnOutcome outcome(String name, TurnId turn, CompanionState state, Optional<TranscriptItem> reply,
                               List<Diagnostic> diagnostics) {
        return switch (name) {
            case "completed" -> new TurnOutcome.Completed(turn, reply, diagnostics);
            case "cancelled" -> new TurnOutcome.Cancelled(turn, reply, diagnostics);
            case "timed_out" -> new TurnOutcome.TimedOut(turn, reply, diagnostics);
            default -> new TurnOutcome.Failed(turn, state == CompanionState.BUSY ? CompanionState.BUSY
                    : CompanionState.ERROR, reply, diagnostics);
        };
    }

    /** An event frame's data, or empty for a frame this build does not know. */
    static Optional<CompanionEvent> event(String name, JsonNode data) {
        long cursor = data.path("cursor").asLong();
        Instant at = Instant.parse(data.path("at").asText());
        switch (name) {
            case "state_changed":
                return Optional.of(new CompanionEvent.StateChanged(cursor, at, state(data.path("from")),
                        state(data.path("to"))));
            case "turn_started": {
                TranscriptItem item = item(data.path("item"));
                return Optional.of(new CompanionEvent.TurnStarted(cursor, at,
                        new Turn(new TurnId(data.path("turn_id").asText()), item, at)));
            }
            case "text_delta":
                return Optional.of(new CompanionEvent.TextDelta(cursor, at, new TurnId(data.path("turn_id").asText()),
                        data.path("text").asText()));
            case "turn_completed":
            case "turn_failed":
            case "turn_cancelled":
            case "turn_timed_out": {
                String outcome = data.hasNonNull("outcome") ? data.path("outcome").asText()
                        : name.substring("turn_".length());
                return Optional.of(new CompanionEvent.TurnEnded(cursor, at, outcome(outcome,
                        new TurnId(data.path("turn_id").asText()), state(data.path("state")),
                        optionalItem(data.get("reply")), diagnostics(data))));
            }
            default:
                return Optional.empty();
        }
    }

    private static Optional<String> text(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? Optional.empty() : Optional.of(node.asText());
    }

    private static OptionalLong number(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? OptionalLong.empty()
                : OptionalLong.of(node.asLong());
    }
}
