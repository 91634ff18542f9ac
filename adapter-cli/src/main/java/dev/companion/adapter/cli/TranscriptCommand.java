package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.core.TranscriptExport;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.Role;
import dev.companion.core.model.TokenUsage;
import dev.companion.core.model.TranscriptItem;
import dev.companion.core.model.TranscriptPage;
import dev.companion.core.model.TranscriptQuery;
import dev.companion.core.Companion;
import dev.companion.core.model.ConversationId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

@Command(name = "transcript", mixinStandardHelpOptions = true,
        description = {"Show one page of the Companion's transcript, the newest by default.",
                "Pages hold at most " + TranscriptQuery.MAX_LIMIT + " items; a larger --limit is lowered to that."},
        footerHeading = "%nExamples:%n",
        footer = {"  companion transcript                  # the newest " + TranscriptQuery.DEFAULT_LIMIT + " items",
                "  companion transcript --start 0 --limit 10",
                "  companion transcript --json | jq '.items[].content'",
                "  companion transcript --export markdown > conversation.md",
                "  companion transcript --usage          # the tokens every reply of the conversation used",
                "  companion transcript --conversation c-0f6e… --export markdown",
                "  companion transcript --export json --url http://127.0.0.1:8765"})
final class TranscriptCommand extends ClientCommand {

    @Mixin
    Options.ConversationChoice conversation = new Options.ConversationChoice();

    @Option(names = "--start", paramLabel = "N",
            description = "The sequence number of the first item (0 is the oldest). Default: the newest page.")
    Long start;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "" + TranscriptQuery.DEFAULT_LIMIT,
            description = "How many items at most (default: ${DEFAULT-VALUE}, at most " + TranscriptQuery.MAX_LIMIT + ").")
    int limit = TranscriptQuery.DEFAULT_LIMIT;

    /** The formats the whole conversation can be written in. */
    enum ExportFormat { markdown, json }

    @Option(names = "--export", paramLabel = "FORMAT",
            description = "Write the whole conversation instead of one page: ${COMPLETION-CANDIDATES}.")
    ExportFormat export;

    @Option(names = "--usage", description = "Sum the tokens the provider counted for every reply of the "
            + "conversation (superseded ones too: they were written, and counted) instead of showing items.")
    boolean usage;

    TranscriptCommand(Launcher launcher) {
        super(launcher);
    }

    @Override
    public Integer call() {
        if (usage) {
            return usage();
        }
        if (export != null) {
            return export();
        }
        TranscriptQuery query = new TranscriptQuery(start == null ? OptionalLong.empty() : OptionalLong.of(start), limit);
        Optional<ConversationId> requested = conversation.requested();
        TranscriptPage page;
        try (Session session = open()) {
            page = Options.ConversationChoice.open(session, requested).transcript(query);
        }
        if (json()) {
            printJson(Views.page(page));
        } else {
            print(out(), err(), Palette.detect(), page);
        }
        return ExitCodes.OK;
    }

    /** Streams every item, a page at a time, so a long conversation never sits in memory whole. */
    private int export() {
        if (start != null) {
            throw new ParameterException(spec.commandLine(), "--export writes the whole conversation; leave out --start");
        }
        Optional<ConversationId> requested = conversation.requested();
        PrintWriter out = out();
        Instant exportedAt = Instant.now();
        try (Session session = open()) {
            Companion companion = Options.ConversationChoice.open(session, requested);
            if (export == ExportFormat.markdown) {
                out.print(TranscriptExport.markdownHeading(companion.status().worker().label(), exportedAt));
                TranscriptExport.eachItem(companion, item -> out.print(TranscriptExport.markdown(item)));
            } else {
                out.print("{\"state\":\"ready\",\"exported_at\":" + Json.write(exportedAt.toString()) + ",\"items\":[");
                boolean[] first = {true};
                long count = TranscriptExport.eachItem(companion, item -> {
                    out.print(first[0] ? "" : ",");
                    out.print(Json.write(Views.item(item)));
                    first[0] = false;
                });
                out.println("],\"total_items\":" + count + ",\"diagnostics\":[]}");
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    /**
     * The conversation's token usage, read a page at a time like an export: kept with each reply, so
     * a sum over the transcript is the one place it can come from (status stays a cheap read).
     */
    private int usage() {
        if (export != null || start != null) {
            throw new ParameterException(spec.commandLine(), "--usage sums the whole conversation; "
                    + "leave out " + (export != null ? "--export" : "--start"));
        }
        Optional<ConversationId> requested = conversation.requested();
        UsageSum sum = new UsageSum();
        ConversationId id;
        try (Session session = open()) {
            Companion companion = Options.ConversationChoice.open(session, requested);
            id = companion.conversationId();
            TranscriptExport.eachItem(companion, sum::add);
        }
        if (json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("state", CompanionState.READY.wireName());
            json.put("conversation_id", id.value());
            json.put("usage", sum.total().map(Views::usage));
            json.put("replies", sum.replies);
            json.put("counted_replies", sum.counted);
            json.put("diagnostics", List.of());
            printJson(json);
        } else {
            PrintWriter out = out();
            out.println(sum.total().map(total -> TranscriptExport.tokens(total) + " over " + sum.counted
                    + (sum.counted == 1 ? " reply" : " replies")).orElse("Tokens: no reply has a count"));
            long uncounted = sum.replies - sum.counted;
            if (uncounted > 0) {
                out.println(Palette.detect().dim(uncounted + (uncounted == 1 ? " reply has" : " replies have")
                        + " no count (the offline model, or a provider that sends none)"));
            }
            out.flush();
        }
        return ExitCodes.OK;
    }

    /** Tokens summed over replies; a reply whose provider sent no count is counted apart. */
    private static final class UsageSum {
        long replies;
        long counted;
        long input;
        long output;
        long reasoning;

        void add(TranscriptItem item) {
            if (item.role() != Role.ASSISTANT) {
                return;
            }
            replies++;
            item.details().usage().ifPresent(usage -> {
                counted++;
                input += usage.inputTokens();
                output += usage.outputTokens();
                reasoning += usage.reasoningTokens();
            });
        }

        Optional<TokenUsage> total() {
            return counted == 0 ? Optional.empty() : Optional.of(new TokenUsage(input, output, reasoning));
        }
    }

    static void print(PrintWriter out, PrintWriter err, Palette palette, TranscriptPage page) {
        for (TranscriptItem item : page.items()) {
            out.println(palette.bold("[" + item.sequence() + "] " + item.role().wireName()) + "  "
                    + palette.dim(item.status().wireName() + " · " + item.createdAt() + " · " + item.source()));
            for (String line : item.content().split("\\R", -1)) {
                out.println(line.isEmpty() ? "" : "    " + line);
            }
        }
        if (page.items().isEmpty()) {
            out.println(page.totalItems() == 0 ? "the transcript is empty"
                    : "no items here; the transcript has " + page.totalItems());
        } else {
            long last = page.start() + page.items().size() - 1;
            out.println(palette.dim("items " + page.start() + "–" + last + " of " + page.totalItems()));
        }
        page.previousStart().ifPresent(older -> out.println(palette.dim("older: companion transcript --start " + older
                + " --limit " + page.limit())));
        page.nextStart().ifPresent(newer -> out.println(palette.dim("newer: companion transcript --start " + newer
                + " --limit " + page.limit())));
        out.flush();
        // Notes (a lowered limit, a start past the end) go to stderr so stdout stays the transcript.
        for (Diagnostic diagnostic : page.diagnostics()) {
            err.println("note: " + diagnostic.message() + " (" + diagnostic.code().wireName() + ")");
        }
        err.flush();
    }
}
