package dev.companion.adapter.http;

import dev.companion.core.CancelResult;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.event.CompanionEvent;
import dev.companion.core.model.Capability;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;
import dev.companion.core.model.WorkerSnapshot;

import java.util.List;
import java.util.Optional;

/**
 * The JSON shapes of the HTTP contract ({@code docs/http-api.md}). Core types are never serialized
 * directly: each is mapped here to a record made for the wire, so a field added to the core for
 * internal use cannot leak out. Component names are camelCase and written snake_case by
 * {@link Json}; an empty optional is written as {@code null}, never omitted.
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

    record ItemJson(long sequence, String role, String content, String createdAt, String source, String status,
                    String turnId) {
        static ItemJson of(TranscriptItem item) {
            return new ItemJson(item.sequence(), item.role().wireName(), item.content(), item.createdAt().toString(),
                    item.source(), item.status().wireName(), item.turnId().value());
        }

        static ItemJson ofNullable(Optional<TranscriptItem> item) {
            return item.map(ItemJson::of).orElse(null);
        }
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

    record StatusJson(String state, WorkerJson worker, String authority, String runningTurnId,
                      long latestCursor, TransportJson transport, ProviderJson provider, LimitsJson limits,
                      List<DiagnosticJson> diagnostics) {
        /** Over HTTP the transport is this server's, not the runtime's; the runtime's limitation still holds. */
        static StatusJson of(CompanionStatus status, long latestCursor, String completion) {
            return new StatusJson(status.state().wireName(), WorkerJson.of(status.worker()), status.authority(),
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

    record BusyJson(String state, String runningTurnId, List<DiagnosticJson> diagnostics) {
    }

    record CancelJson(String state, String turnId, String outcome, ItemJson reply, List<DiagnosticJson> diagnostics) {
        static CancelJson of(CancelResult result) {
            String state = result.state().wireName();
            List<DiagnosticJson> diagnostics = DiagnosticJson.all(result.diagnostics());
            if (result instanceof CancelResult.Cancelled cancelled) {
                TurnOutcome outcome = cancelled.outcome();
                return new CancelJson(state, outcome.turnId().value(), outcomeName(outcome),
                        ItemJson.ofNullable(outcome.reply()), diagnostics);
            }
            if (result instanceof CancelResult.AlreadyCompleted completed) {
                TurnOutcome outcome = completed.outcome();
                return new CancelJson(state, completed.turn().value(), outcomeName(outcome),
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

    record TurnStartedJson(long cursor, String type, String at, String turnId, ItemJson item) {
    }

    record TextDeltaJson(long cursor, String type, String at, String turnId, String text) {
    }

    record TurnEndedJson(long cursor, String type, String at, String turnId, String state, String outcome,
                         ItemJson reply, List<DiagnosticJson> diagnostics) {
    }

    record StateChangedJson(long cursor, String type, String at, String from, String to) {
    }

    record ResetJson(String type, long latestCursor) {
        static ResetJson of(long latestCursor) {
            return new ResetJson("reset", latestCursor);
        }
    }

    /** Sent last to a reader that fell too far behind; it may reconnect from the last id it received. */
    record DroppedJson(String type, List<DiagnosticJson> diagnostics) {
    }

    static Object event(CompanionEvent event) {
        String at = event.at().toString();
        if (event instanceof CompanionEvent.TurnStarted started) {
            return new TurnStartedJson(event.cursor(), event.name(), at, started.turn().id().value(),
                    ItemJson.of(started.turn().userItem()));
        }
        if (event instanceof CompanionEvent.TextDelta delta) {
            return new TextDeltaJson(event.cursor(), event.name(), at, delta.turnId().value(), delta.text());
        }
        if (event instanceof CompanionEvent.TurnEnded ended) {
            TurnOutcome outcome = ended.outcome();
            return new TurnEndedJson(event.cursor(), event.name(), at, outcome.turnId().value(),
                    outcome.state().wireName(), outcomeName(outcome), ItemJson.ofNullable(outcome.reply()),
                    DiagnosticJson.all(outcome.diagnostics()));
        }
        if (event instanceof CompanionEvent.StateChanged changed) {
            return new StateChangedJson(event.cursor(), event.name(), at, changed.from().wireName(),
                    changed.to().wireName());
        }
        throw new IllegalArgumentException("an event type this adapter does not know: " + event.name());
    }

    /** The wire name of how a turn ended: completed, failed, cancelled or timed_out. */
    static String outcomeName(TurnOutcome outcome) {
        if (outcome instanceof TurnOutcome.Completed) {
            return "completed";
        }
        if (outcome instanceof TurnOutcome.Failed) {
            return "failed";
        }
        if (outcome instanceof TurnOutcome.Cancelled) {
            return "cancelled";
        }
        if (outcome instanceof TurnOutcome.TimedOut) {
            return "timed_out";
        }
        throw new IllegalArgumentException("an outcome this adapter does not know");
    }
}
