package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.core.Companion;
import dev.companion.core.CreateConversationCommand;
import dev.companion.core.SendMessageCommand;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.ConversationId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

import java.io.InputStream;
import java.util.Optional;

@Command(name = "send", mixinStandardHelpOptions = true,
        description = {"Send the Companion one message and print its reply as it streams.",
                "With no TEXT, or TEXT '-', the message is read from standard input.",
                "The exit code says how the turn ended (see below); a reply the provider truncated, filtered or",
                "refused is printed as far as it came, then a warning, with exit code 8."},
        footerHeading = "%nExamples:%n",
        footer = {"  companion send \"What is a good name for a cat?\"",
                "  git log -1 --format=%%B | companion send -",
                "  companion send --new \"Plan a trip to Lisbon\" --json | jq -r .conversation_id",
                "  companion send \"and in May?\" --conversation c-0f6e…",
                "  companion send \"Why is the sky blue?\" --show-reasoning   # the thinking on stderr, faint",
                "  companion send \"A haiku, please\" --max-output-tokens 200 --json | jq '.reply | {status, usage}'",
                "  companion send \"hi\" --url http://127.0.0.1:8765 --json | jq .state"})
final class SendCommand extends TurnCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "TEXT", description = "The message ('-': read standard input).")
    String text;

    @Option(names = "--new", description = "Start a new conversation and send the message there; "
            + "its id is printed (on standard error, or as conversation_id with --json).")
    boolean newConversation;

    SendCommand(Launcher launcher, InputStream stdin) {
        super(launcher, stdin);
    }

    @Override
    public Integer call() throws InterruptedException {
        if (newConversation && conversation.value != null) {
            throw new ParameterException(spec.commandLine(), "give --new or --conversation, not both");
        }
        // Validate before starting anything: rejected input must change nothing.
        Optional<ConversationId> requested = conversation.requested();
        SendMessageCommand command = new SendMessageCommand(message(text), "cli");
        try (Session session = open()) {
            if (!newConversation) {
                Companion companion = Options.ConversationChoice.open(session, requested);
                return follow(companion, () -> companion.send(command)).exitCode();
            }
            ConversationId created = session.conversations().create(CreateConversationCommand.untitled()).id();
            Companion companion = session.conversations().open(created);
            if (!json()) {
                // Standard output is the reply alone, so scripts can pipe it; the id goes beside it.
                err().println("conversation " + created + " (go on with --conversation " + created + ")");
                err().flush();
            }
            Run run = follow(companion, () -> companion.send(command));
            if (!run.accepted()) {
                forget(session, created);
            }
            return run.exitCode();
        }
    }

    /** A message that was not accepted changes nothing: the conversation made for it goes too. */
    private static void forget(Session session, ConversationId created) {
        try {
            session.conversations().delete(created);
        } catch (CompanionException e) {
            // It stays, empty; the message's own failure is what was reported.
        }
    }
}
