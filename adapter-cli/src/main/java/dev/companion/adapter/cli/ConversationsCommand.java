package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.core.ConversationPage;
import dev.companion.core.ConversationQuery;
import dev.companion.core.CreateConversationCommand;
import dev.companion.core.DeleteResult;
import dev.companion.core.RenameConversationCommand;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Conversation;
import dev.companion.core.model.ConversationId;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

@Command(name = "conversations", mixinStandardHelpOptions = true,
        description = {"List the conversations, newest activity first; 'new', 'rename' and 'delete' change them.",
                "Each has its own transcript; send, chat, status and transcript take one with --conversation ID."},
        footerHeading = "%nExamples:%n",
        footer = {"  companion conversations",
                "  companion conversations --search lisbon --limit 5",
                "  companion conversations --json | jq -r '.conversations[].id'",
                "  id=$(companion conversations new --title \"Trip to Lisbon\")",
                "  companion conversations rename \"$id\" \"Lisbon in May\"",
                "  companion conversations delete \"$id\""})
final class ConversationsCommand extends ClientCommand {

    /** Longer titles are cut in the table (the JSON has them whole). */
    static final int TITLE_COLUMN = 48;

    @Option(names = "--search", paramLabel = "TERM",
            description = "Only conversations whose title or words contain TERM (any case).")
    String search;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "" + ConversationQuery.DEFAULT_LIMIT,
            description = "How many at most (default: ${DEFAULT-VALUE}, at most " + ConversationQuery.MAX_LIMIT + ").")
    int limit = ConversationQuery.DEFAULT_LIMIT;

    @Option(names = "--cursor", paramLabel = "CURSOR",
            description = "Go on after the page that gave this cursor (its next_cursor).")
    String cursor;

    ConversationsCommand(Launcher launcher) {
        super(launcher);
    }

    /** The command with its subcommands, each given the launcher. */
    static CommandLine tree(Launcher launcher) {
        CommandLine conversations = new CommandLine(new ConversationsCommand(launcher));
        conversations.addSubcommand(new New(launcher));
        conversations.addSubcommand(new Rename(launcher));
        conversations.addSubcommand(new Delete(launcher));
        return conversations;
    }

    @Override
    public Integer call() {
        // Checked before anything starts: a bad limit or search term changes nothing.
        ConversationQuery query = new ConversationQuery(Optional.ofNullable(search), Optional.ofNullable(cursor), limit);
        ConversationPage page;
        try (Session session = open()) {
            page = session.conversations().list(query);
        }
        if (json()) {
            printJson(Views.conversations(page));
            return ExitCodes.OK;
        }
        print(out(), Palette.detect(), page.conversations(), Optional.empty());
        if (page.conversations().isEmpty()) {
            out().println(query.search().isPresent() ? "no conversation matches '" + query.search().get() + "'"
                    : "no conversations");
        }
        page.nextCursor().ifPresent(next -> out().println(Palette.detect().dim("more: companion conversations --cursor "
                + next + query.search().map(term -> " --search " + quoted(term)).orElse("") + " --limit " + limit)));
        out().flush();
        return ExitCodes.OK;
    }

    /**
     * The table: id, title (or "(untitled)"), items, last activity. With {@code numbered}, each row
     * starts with its number (for chat's {@code /switch N}) and the current one is starred.
     */
    static void print(PrintWriter out, Palette palette, List<Conversation> conversations,
                      Optional<ConversationId> current) {
        if (conversations.isEmpty()) {
            return;
        }
        boolean numbered = current.isPresent();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {numbered ? "#" : "", "ID", "TITLE", "ITEMS", "UPDATED"});
        for (int i = 0; i < conversations.size(); i++) {
            Conversation conversation = conversations.get(i);
            String number = numbered ? (i + 1) + (conversation.id().equals(current.get()) ? "*" : "") : "";
            rows.add(new String[] {number, conversation.id().value(), title(conversation),
                    Long.toString(conversation.itemCount()), updated(conversation.updatedAt())});
        }
        int[] widths = new int[5];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].codePointCount(0, row[i].length()));
            }
        }
        for (int r = 0; r < rows.size(); r++) {
            String[] row = rows.get(r);
            StringBuilder line = new StringBuilder();
            for (int i = numbered ? 0 : 1; i < row.length; i++) {
                String pad = " ".repeat(widths[i] - row[i].codePointCount(0, row[i].length()));
                // Numbers and counts line up on the right, words on the left.
                line.append(i == 0 || i == 3 ? pad + row[i] : row[i] + pad).append("  ");
            }
            String text = line.toString().stripTrailing();
            out.println(r == 0 ? palette.dim(text) : text);
        }
    }

    static String title(Conversation conversation) {
        String title = conversation.title().orElse("(untitled)");
        if (title.codePointCount(0, title.length()) <= TITLE_COLUMN) {
            return title;
        }
        return title.substring(0, title.offsetByCodePoints(0, TITLE_COLUMN - 1)) + "…";
    }

    private static String updated(Instant at) {
        return at.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static String quoted(String term) {
        return term.matches("[A-Za-z0-9_.,:@%+=/-]+") ? term : "'" + term.replace("'", "'\\''") + "'";
    }

    /** Options given to {@code conversations} itself would be silently lost by its subcommands. */
    static void refuseParentOptions(CommandLine commandLine) {
        CommandLine parent = commandLine.getParent();
        if (parent != null && parent.getParseResult() != null && !parent.getParseResult().matchedOptions().isEmpty()) {
            throw new ParameterException(commandLine, "put the options after '" + commandLine.getCommandName()
                    + "', e.g. 'companion conversations " + commandLine.getCommandName() + " --json'");
        }
    }

    @Command(name = "new", mixinStandardHelpOptions = true,
            description = {"Start a new, empty conversation and print its id.",
                    "Without --title it takes its first message's first line as its title."},
            footerHeading = "%nExamples:%n",
            footer = {"  id=$(companion conversations new)",
                    "  companion conversations new --title \"Trip to Lisbon\" --json"})
    static final class New extends ClientCommand {

        @Option(names = "--title", paramLabel = "TITLE", description = "The conversation's title.")
        String title;

        New(Launcher launcher) {
            super(launcher);
        }

        @Override
        public Integer call() {
            refuseParentOptions(spec.commandLine());
            CreateConversationCommand command = new CreateConversationCommand(Optional.ofNullable(title));
            Conversation created;
            try (Session session = open()) {
                created = session.conversations().create(command);
            }
            if (json()) {
                printJson(result(created));
            } else {
                // The id alone, so that id=$(companion conversations new) works.
                out().println(created.id());
                out().flush();
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "rename", mixinStandardHelpOptions = true,
            description = "Give a conversation a new title.",
            footerHeading = "%nExamples:%n",
            footer = {"  companion conversations rename c-0f6e… \"Lisbon in May\"",
                    "  companion conversations rename default Everyday --json"})
    static final class Rename extends ClientCommand {

        @Parameters(index = "0", paramLabel = "ID", description = "The conversation.")
        String id;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "TITLE",
                description = "The new title (words after the id are joined by spaces).")
        List<String> title;

        Rename(Launcher launcher) {
            super(launcher);
        }

        @Override
        public Integer call() {
            refuseParentOptions(spec.commandLine());
            RenameConversationCommand command = new RenameConversationCommand(ConversationId.parse(id),
                    String.join(" ", title));
            Conversation renamed;
            try (Session session = open()) {
                renamed = session.conversations().rename(command);
            }
            if (json()) {
                printJson(result(renamed));
            } else {
                out().println("renamed " + renamed.id() + ": " + renamed.title().orElse(command.title()));
                out().flush();
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = {"Delete a conversation and its transcript.",
                    "Refused as busy (exit code 3) while a reply is being written in it: cancel or wait, then delete."},
            footerHeading = "%nExamples:%n",
            footer = {"  companion conversations delete c-0f6e…"})
    static final class Delete extends ClientCommand {

        @Parameters(index = "0", paramLabel = "ID", description = "The conversation.")
        String id;

        Delete(Launcher launcher) {
            super(launcher);
        }

        @Override
        public Integer call() {
            refuseParentOptions(spec.commandLine());
            ConversationId conversation = ConversationId.parse(id);
            DeleteResult result;
            try (Session session = open()) {
                result = session.conversations().delete(conversation);
            }
            if (json()) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("state", result.state().wireName());
                json.put("conversation_id", conversation.value());
                if (result instanceof DeleteResult.Busy busy) {
                    Views.runningTurn(json, Optional.of(busy.runningTurn()));
                }
                json.put("diagnostics", Views.diagnostics(result.diagnostics()));
                printJson(json);
            }
            if (result instanceof DeleteResult.Busy busy) {
                Diagnostic diagnostic = busy.diagnostics().stream().findFirst().orElseGet(() -> Diagnostic.warning(
                        DiagnosticCode.COMPANION_BUSY, "A reply is being written in this conversation."));
                Failures.report(err(), diagnostic);
                return Failures.exitCode(result.state(), diagnostic.code());
            }
            if (!json()) {
                out().println("deleted " + conversation);
                out().flush();
            }
            return ExitCodes.OK;
        }
    }

    private static Map<String, Object> result(Conversation conversation) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("state", CompanionState.READY.wireName());
        json.put("conversation", Views.conversation(conversation));
        json.put("diagnostics", List.of());
        return json;
    }
}
