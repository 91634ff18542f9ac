package dev.companion.adapter.http;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.companion.core.CancelResult;
import dev.companion.core.ConversationPage;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.model.Capability;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.ReplyDetails;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.model.WorkerSnapshot;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The JSON shapes of the HTTP contract ({@code docs/http-api.md}). Core types are never serialized
 * directly: each is mapped here to a record made for the wire, so a field added to the core for
 * internal use cannot leak out. Component names are camelCase and written snake_case by
 * {@link Json}; an empty optional is written as {@code null}, never omitted. The one exception is
 * an event's own fields, which {@link #writeEvent} spells out (see there why); what it nests is
 * still these records.
 */
final class Wire {

    private Wire() {
    }

    record DiagnosticJson(String code, String severity, String message) {
        static DiagnosticJson of(Diagnostic diagnostic) {
            return new DiagnosticJson(diagnostic.code().wireName(), diagnostic.severity().wireName(),
                    diagnostic.message());
        }

        static List<DiagnosticJson> all(List<Diagnostic> diagnostics) {
            return diagnostics.stream().map(DiagnosticJson::of).toList();
        }
    }

    /**
     * A transcript item. {@code reasoning}, {@code reasoningMs} and {@code usage} are a reply's own
     * (null when it has none, and always for a user item); {@code diagnostics} explain how a reply
     * ended (empty for a user item and a plain completed reply).
     */
    record ItemJson(long sequence, String role, String content, String createdAt, String source, String status,
                    String turnId, String reasoning, Long reasoningMs, UsageJson usage,
                    List<DiagnosticJson> diagnostics) {
        static ItemJson of(TranscriptItem item) {
            ReplyDetails details = item.details();
            return new ItemJson(item.sequence(), item.role().wireName(), item.content(), Timestamps.iso(item.createdAt()),
                    item.source(), item.status().wireName(), item.turnId().value(),
                    details.reasoning().isEmpty() ? null : details.reasoning(),
                    details.reasoningTime().map(Duration::toMillis).orElse(null),
                    details.usage().map(UsageJson::of).orElse(null), DiagnosticJson.all(details.diagnostics()));
        }

        static ItemJson ofNullable(Optional<TranscriptItem> item) {
            return item.map(ItemJson::of).orElse(null);
        }
    }

    record UsageJson(long inputTokens, long outputTokens, long reasoningTokens) {
        static UsageJson of(TokenUsage usage) {
            return new UsageJson(usage.inputTokens(), usage.outputTokens(), usage.reasoningTokens());
        }
    }

    /** A conversation as the list shows it. */
    record ConversationJson(String id, String title, String createdAt, String updatedAt, long itemCount,
                            String state, String preview) {
        static ConversationJson of(Conversation conversation) {
            return new ConversationJson(conversation.id().value(), conversation.title().orElse(null),
                    Timestamps.iso(conversation.createdAt()), Timestamps.iso(conversation.updatedAt()),
                    conversation.itemCount(), conversation.state().wireName(), conversation.preview().orElse(null));
        }
    }

    /** {@code GET /api/conversations}: a page, where the next starts, and the newest event cursor. */
    record ConversationPageJson(String state, List<ConversationJson> conversations, String nextCursor,
                                long latestCursor, List<DiagnosticJson> diagnostics) {
        static ConversationPageJson of(ConversationPage page, long latestCursor) {
            return new ConversationPageJson(CompanionState.READY.wireName(),
                    page.conversations().stream().map(ConversationJson::of).toList(),
                    page.nextCursor().orElse(null), latestCursor, List.of());
        }
    }

    /** One conversation: created, read or renamed. */
    record ConversationAnswerJson(String state, ConversationJson conversation, List<DiagnosticJson> diagnostics) {
        static ConversationAnswerJson of(Conversation conversation) {
            return new ConversationAnswerJson(CompanionState.READY.wireName(), ConversationJson.of(conversation),
                    List.of());
        }
    }

    record DeletedJson(String state, String deleted, List<DiagnosticJson> diagnostics) {
    }

    record ProfileJson(String id, String label, String systemPrompt) {
    }

    record WorkerJson(String id, String label, String status, ProfileJson profile, List<String> capabilities,
                      String authority) {
        static WorkerJson of(WorkerSnapshot worker) {
            var profile = worker.profile();
            return new WorkerJson(worker.id(), worker.label(), worker.status().wireName(),
                    new ProfileJson(profile.id(), profile.label(), profile.systemPrompt()),
                    profile.capabilities().granted().stream().map(Capability::wireName).toList(),
                    worker.authority());
        }
    }

    record TransportJson(String kind, String completion, String limitation) {
    }

    record ProviderJson(String kind, String model, boolean live, String host, String reason) {
        static ProviderJson of(ProviderInfo provider) {
            return new ProviderJson(provider.kind(), provider.model(), provider.live(),
                    provider.host().orElse(null), provider.reason().orElse(null));
        }
    }

    record LimitsJson(int maxMessageCharacters, int maxPageSize, int maxBodyBytes) {
        static final LimitsJson CURRENT = new LimitsJson(SendMessageCommand.MAX_CHARACTERS,
                TranscriptQuery.MAX_LIMIT, RequestBodies.MAX_BODY_BYTES);
    }

    record StatusJson(String state, String conversationId, WorkerJson worker, String authority, String runningTurnId,
                      long latestCursor, TransportJson transport, ProviderJson provider, LimitsJson limits,
                      List<DiagnosticJson> diagnostics) {
        /** Over HTTP the transport is this server's, not the runtime's; the runtime's limitation still holds. */
        static StatusJson of(CompanionStatus status, long latestCursor, String completion) {
            return new StatusJson(status.state().wireName(), status.conversation().value(),
                    WorkerJson.of(status.worker()), status.authority(),
                    status.runningTurn().map(TurnId::value).orElse(null), latestCursor,
                    new TransportJson("http_json", completion, status.transport().limitation().orElse(null)),
                    ProviderJson.of(status.provider()), LimitsJson.CURRENT, DiagnosticJson.all(status.diagnostics()));
        }
    }

    record PageJson(String state, long start, int limit, long totalItems, Long nextStart, Long previousStart,
                    List<ItemJson> items, List<DiagnosticJson> diagnostics) {
        static PageJson of(TranscriptPage page) {
            return new PageJson(CompanionState.READY.wireName(), page.start(), page.limit(), page.totalItems(),
                    page.nextStart().isPresent() ? page.nextStart().getAsLong() : null,
                    page.previousStart().isPresent() ? page.previousStart().getAsLong() : null,
                    page.items().stream().map(ItemJson::of).toList(), DiagnosticJson.all(page.diagnostics()));
        }
    }

    record AcceptedJson(String state, String turnId, ItemJson item, List<DiagnosticJson> diagnostics) {
    }

    /** The answer of {@code ?wait=true}: the user item, and the reply once the turn has ended. */
    record FinishedJson(String state, String turnId, ItemJson item, ItemJson reply, String outcome,
                        List<DiagnosticJson> diagnostics) {
    }

    /** Refused as busy: {@code runningTurnId} names the turn in the way, null when the runtime's limit is. */
    record BusyJson(String state, String runningTurnId, List<DiagnosticJson> diagnostics) {
    }

    record CancelJson(String state, String turnId, String outcome, ItemJson reply, List<DiagnosticJson> diagnostics) {
        static CancelJson of(CancelResult result) {
            String state = result.state().wireName();
            List<DiagnosticJson> diagnostics = DiagnosticJson.all(result.diagnostics());
            if (result instanceof CancelResult.Cancelled cancelled) {
                TurnOutcome outcome = cancelled.outcome();
                return new CancelJson(state, outcome.turnId().value(), outcome.end().wireName(),
                        ItemJson.ofNullable(outcome.reply()), diagnostics);
            }
            if (result instanceof CancelResult.AlreadyCompleted completed) {
                TurnOutcome outcome = completed.outcome();
                return new CancelJson(state, completed.turn().value(), outcome.end().wireName(),
                        ItemJson.ofNullable(outcome.reply()), diagnostics);
            }
            return new CancelJson(state, null, null, null, diagnostics);
        }
    }

    record WorkersJson(String state, List<WorkerJson> workers, List<DiagnosticJson> diagnostics) {
    }

    record ErrorJson(String state, List<DiagnosticJson> diagnostics) {
    }

    // ---- events (data of the SSE frames) ---------------------------------------------------------

    /**
     * An event's frame data; its {@code type} is {@link CompanionEvent#name()}, as is the frame's name.
     * Written field by field rather than through a record: every piece of every reply passes here, and
     * the general serializer's code was a large part of what a fresh server had to compile during its
     * first few hundred turns. The nested item, reply and conversation are the records above.
     */
    static void writeEvent(JsonGenerator json, CompanionEvent event) throws IOException {
        json.writeStartObject();
        json.writeNumberField("cursor", event.cursor());
        json.writeStringField("type", event.name());
        json.writeStringField("at", Timestamps.iso(event.at()));
        json.writeStringField("conversation_id", event.conversationId().value());
        if (event instanceof CompanionEvent.TextDelta delta) {
            json.writeStringField("turn_id", delta.turnId().value());
            json.writeStringField("text", delta.text());
        } else if (event instanceof CompanionEvent.ReasoningDelta delta) {
            json.writeStringField("turn_id", delta.turnId().value());
            json.writeStringField("text", delta.text());
        } else if (event instanceof CompanionEvent.TurnStarted started) {
            json.writeStringField("turn_id", started.turn().id().value());
            json.writeFieldName("item");
            json.writeObject(ItemJson.of(started.turn().userItem()));
        } else if (event instanceof CompanionEvent.TurnEnded ended) {
            TurnOutcome outcome = ended.outcome();
            json.writeStringField("turn_id", outcome.turnId().value());
            json.writeStringField("state", outcome.state().wireName());
            json.writeStringField("outcome", outcome.end().wireName());
            json.writeFieldName("reply");
            json.writeObject(ItemJson.ofNullable(outcome.reply()));
            json.writeFieldName("diagnostics");
            json.writeObject(DiagnosticJson.all(outcome.diagnostics()));
        } else if (event instanceof CompanionEvent.StateChanged changed) {
            json.writeStringField("from", changed.from().wireName());
            json.writeStringField("to", changed.to().wireName());
        } else if (event instanceof CompanionEvent.ConversationCreated created) {
            json.writeFieldName("conversation");
            json.writeObject(ConversationJson.of(created.conversation()));
        } else if (event instanceof CompanionEvent.ConversationRenamed renamed) {
            json.writeFieldName("conversation");
            json.writeObject(ConversationJson.of(renamed.conversation()));
        } else if (!(event instanceof CompanionEvent.ConversationDeleted)) {
            throw new IllegalArgumentException("an event type this adapter does not know: " + event.name());
        }
        json.writeEndObject();
    }

    /** The name of the frame that tells a reader to reload: not a core event, this stream's own. */
    static final String RESET = "reset";
    /** The name of the last frame a reader that fell behind gets. */
    static final String DROPPED = "dropped";

    record ResetJson(String type, long latestCursor) {
        static ResetJson of(long latestCursor) {
            return new ResetJson(RESET, latestCursor);
        }
    }

    /** Sent last to a reader that fell too far behind; it may reconnect from the last id it received. */
    record DroppedJson(String type, List<DiagnosticJson> diagnostics) {
    }
}
