package dev.companion.runtime;

import dev.companion.core.event.CompanionEvent;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ItemStatus;
import dev.companion.core.model.ReplyDetails;
import dev.companion.core.model.Role;
import dev.companion.core.model.Severity;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.Turn;
import dev.companion.core.model.TurnEnd;
import dev.companion.core.model.TurnId;
import dev.companion.core.model.TurnOutcome;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An event as the text a shared event log keeps, and back, for runtimes of this release and later:
 * a sequence of fields, each its length, a colon and its characters: the format's version, the
 * kind of event, then the event's fields in an order fixed per kind. The cursor is not in it: the log gives the id. A payload this release cannot read (a newer
 * runtime's event) is refused with {@link IllegalArgumentException}, and its reader skips it.
 */
final class EventCodec {

    private static final String VERSION = "1";

    private EventCodec() {
    }

    static String encode(CompanionEvent event) {
        Writer out = new Writer();
        out.text(VERSION).text(Kind.of(event).name()).instant(event.at()).text(event.conversationId().value());
        if (event instanceof CompanionEvent.TurnStarted started) {
            out.text(started.turn().id().value()).instant(started.turn().startedAt());
            item(out, started.turn().userItem());
        } else if (event instanceof CompanionEvent.TextDelta delta) {
            out.text(delta.turnId().value()).text(delta.text());
        } else if (event instanceof CompanionEvent.ReasoningDelta delta) {
            out.text(delta.turnId().value()).text(delta.text());
        } else if (event instanceof CompanionEvent.TurnEnded ended) {
            TurnOutcome outcome = ended.outcome();
            out.text(outcome.end().name()).text(outcome.state().name()).text(outcome.turnId().value());
            out.flag(outcome.reply().isPresent());
            outcome.reply().ifPresent(reply -> item(out, reply));
            diagnostics(out, outcome.diagnostics());
        } else if (event instanceof CompanionEvent.StateChanged changed) {
            out.text(changed.from().name()).text(changed.to().name());
        } else if (event instanceof CompanionEvent.ConversationCreated created) {
            conversation(out, created.conversation());
        } else if (event instanceof CompanionEvent.ConversationRenamed renamed) {
            conversation(out, renamed.conversation());
        }
        // ConversationDeleted: its conversation id says it all
        return out.toString();
    }

    static CompanionEvent decode(long cursor, String payload) {
        try {
            Reader in = new Reader(payload);
            if (!VERSION.equals(in.text())) {
                throw new IllegalArgumentException("an event of another version");
            }
            Kind kind = Kind.valueOf(in.text());
            Instant at = in.instant();
            ConversationId conversation = new ConversationId(in.text());
            return switch (kind) {
                case STARTED -> {
                    TurnId turn = new TurnId(in.text());
                    Instant startedAt = in.instant();
                    yield new CompanionEvent.TurnStarted(cursor, at, conversation, new Turn(turn, item(in), startedAt));
                }
                case DELTA -> new CompanionEvent.TextDelta(cursor, at, conversation, new TurnId(in.text()), in.text());
                case REASONING -> new CompanionEvent.ReasoningDelta(cursor, at, conversation,
                        new TurnId(in.text()), in.text());
                case ENDED -> new CompanionEvent.TurnEnded(cursor, at, conversation, outcome(in));
                case STATE -> new CompanionEvent.StateChanged(cursor, at, conversation,
                        CompanionState.valueOf(in.text()), CompanionState.valueOf(in.text()));
                case CREATED -> new CompanionEvent.ConversationCreated(cursor, at, conversation(in));
                case RENAMED -> new CompanionEvent.ConversationRenamed(cursor, at, conversation(in));
                case DELETED -> new CompanionEvent.ConversationDeleted(cursor, at, conversation);
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("an event this runtime cannot read", e);
        }
    }

    /** Which record type a payload holds: this codec's own tag, apart from the event's wire name. */
    private enum Kind {
        STARTED, DELTA, REASONING, ENDED, STATE, CREATED, RENAMED, DELETED;

        static Kind of(CompanionEvent event) {
            if (event instanceof CompanionEvent.TurnStarted) {
                return STARTED;
            } else if (event instanceof CompanionEvent.TextDelta) {
                return DELTA;
            } else if (event instanceof CompanionEvent.ReasoningDelta) {
                return REASONING;
            } else if (event instanceof CompanionEvent.TurnEnded) {
                return ENDED;
            } else if (event instanceof CompanionEvent.StateChanged) {
                return STATE;
            } else if (event instanceof CompanionEvent.ConversationCreated) {
                return CREATED;
            } else if (event instanceof CompanionEvent.ConversationRenamed) {
                return RENAMED;
            }
            return DELETED;
        }
    }

    private static TurnOutcome outcome(Reader in) {
        TurnEnd end = TurnEnd.valueOf(in.text());
        CompanionState state = CompanionState.valueOf(in.text());
        TurnId turn = new TurnId(in.text());
        Optional<TranscriptItem> reply = in.flag() ? Optional.of(item(in)) : Optional.empty();
        List<Diagnostic> diagnostics = diagnostics(in);
        return switch (end) {
            case COMPLETED -> new TurnOutcome.Completed(turn, reply, diagnostics);
            case FAILED -> new TurnOutcome.Failed(turn, state, reply, diagnostics);
            case CANCELLED -> new TurnOutcome.Cancelled(turn, reply, diagnostics);
            case TIMED_OUT -> new TurnOutcome.TimedOut(turn, reply, diagnostics);
        };
    }

    private static void item(Writer out, TranscriptItem item) {
        out.number(item.sequence()).text(item.role().name()).text(item.content()).instant(item.createdAt())
                .text(item.source()).text(item.status().name()).text(item.turnId().value());
        ReplyDetails details = item.details();
        out.text(details.reasoning());
        out.flag(details.reasoningTime().isPresent());
        details.reasoningTime().ifPresent(time -> out.number(time.toNanos()));
        out.flag(details.usage().isPresent());
        details.usage().ifPresent(usage -> out.number(usage.inputTokens()).number(usage.outputTokens())
                .number(usage.reasoningTokens()));
        diagnostics(out, details.diagnostics());
    }

    private static TranscriptItem item(Reader in) {
        long sequence = in.number();
        Role role = Role.valueOf(in.text());
        String content = in.text();
        Instant createdAt = in.instant();
        String source = in.text();
        ItemStatus status = ItemStatus.valueOf(in.text());
        TurnId turn = new TurnId(in.text());
        String reasoning = in.text();
        Optional<Duration> reasoningTime = in.flag() ? Optional.of(Duration.ofNanos(in.number())) : Optional.empty();
        Optional<TokenUsage> usage = in.flag()
                ? Optional.of(new TokenUsage(in.number(), in.number(), in.number())) : Optional.empty();
        ReplyDetails details = new ReplyDetails(reasoning, reasoningTime, usage, diagnostics(in));
        return new TranscriptItem(sequence, role, content, createdAt, source, status, turn,
                details.isEmpty() ? ReplyDetails.NONE : details);
    }

    private static void diagnostics(Writer out, List<Diagnostic> diagnostics) {
        out.number(diagnostics.size());
        for (Diagnostic diagnostic : diagnostics) {
            out.text(diagnostic.code().name()).text(diagnostic.severity().name()).text(diagnostic.message());
        }
    }

    private static List<Diagnostic> diagnostics(Reader in) {
        long count = in.number();
        List<Diagnostic> diagnostics = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            diagnostics.add(new Diagnostic(DiagnosticCode.valueOf(in.text()), Severity.valueOf(in.text()), in.text()));
        }
        return diagnostics;
    }

    private static void conversation(Writer out, Conversation conversation) {
        out.text(conversation.id().value());
        out.flag(conversation.title().isPresent());
        conversation.title().ifPresent(out::text);
        out.instant(conversation.createdAt()).instant(conversation.updatedAt()).number(conversation.itemCount())
                .text(conversation.state().name());
        out.flag(conversation.preview().isPresent());
        conversation.preview().ifPresent(out::text);
    }

    private static Conversation conversation(Reader in) {
        ConversationId id = new ConversationId(in.text());
        Optional<String> title = in.flag() ? Optional.of(in.text()) : Optional.empty();
        Instant createdAt = in.instant();
        Instant updatedAt = in.instant();
        long items = in.number();
        CompanionState state = CompanionState.valueOf(in.text());
        Optional<String> preview = in.flag() ? Optional.of(in.text()) : Optional.empty();
        return new Conversation(id, title, createdAt, updatedAt, items, state, preview);
    }

    private static final class Writer {
        private final StringBuilder out = new StringBuilder(64);

        Writer text(String value) {
            out.append(value.length()).append(':').append(value);
            return this;
        }

        Writer number(long value) {
            return text(Long.toString(value));
        }

        Writer flag(boolean value) {
            return text(value ? "1" : "0");
        }

        Writer instant(Instant value) {
            return number(value.getEpochSecond()).number(value.getNano());
        }

        @Override
        public String toString() {
            return out.toString();
        }
    }

    private static final class Reader {
        private final String in;
        private int at;

        Reader(String in) {
            this.in = in;
        }

        String text() {
            int colon = in.indexOf(':', at);
            int length = Integer.parseInt(in, at, colon, 10);
            String value = in.substring(colon + 1, colon + 1 + length);
            at = colon + 1 + length;
            return value;
        }

        long number() {
            return Long.parseLong(text());
        }

        boolean flag() {
            return "1".equals(text());
        }

        Instant instant() {
            return Instant.ofEpochSecond(number(), number());
        }
    }
}
