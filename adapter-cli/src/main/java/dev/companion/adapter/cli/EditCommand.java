package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.core.Companion;
import dev.companion.core.EditMessageCommand;
import dev.companion.core.model.ConversationId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.InputStream;
import java.util.Optional;

@Command(name = "edit", mixinStandardHelpOptions = true,
        description = {"Replace the words of the last message and print the reply to them as it streams.",
                "The old message and its replies stay in the transcript, marked superseded.",
                "With no TEXT, or TEXT '-', the new words are read from standard input.",
                "With no message yet the edit is rejected (nothing_to_edit, exit code 2)."},
        footerHeading = "%nExamples:%n",
        footer = {"  companion edit \"What is a good name for a dog?\"",
                "  companion edit \"shorter, please\" --conversation c-0f6e… --json | jq .outcome"})
final class EditCommand extends TurnCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "TEXT", description = "The new words ('-': read standard input).")
    String text;

    EditCommand(Launcher launcher, InputStream stdin) {
        super(launcher, stdin);
    }

    @Override
    public Integer call() throws InterruptedException {
        // Checked as a new message is, before anything starts.
        Optional<ConversationId> requested = conversation.requested();
        EditMessageCommand command = EditMessageCommand.of(message(text), "cli");
        try (Session session = open()) {
            Companion companion = Options.ConversationChoice.open(session, requested);
            return follow(companion, () -> companion.edit(command)).exitCode();
        }
    }
}
