package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.core.Companion;
import dev.companion.core.model.ConversationId;
import picocli.CommandLine.Command;

import java.io.InputStream;
import java.util.Optional;

@Command(name = "regenerate", mixinStandardHelpOptions = true,
        description = {"Answer the last message again and print the new reply as it streams.",
                "The replies it had stay in the transcript, marked superseded, and are never sent to a model again.",
                "With no message yet the answer is rejected (nothing_to_regenerate, exit code 2)."},
        footerHeading = "%nExamples:%n",
        footer = {"  companion regenerate",
                "  companion regenerate --conversation c-0f6e… --json | jq -r .reply.content"})
final class RegenerateCommand extends TurnCommand {

    RegenerateCommand(Launcher launcher, InputStream stdin) {
        super(launcher, stdin);
    }

    @Override
    public Integer call() throws InterruptedException {
        Optional<ConversationId> requested = conversation.requested();
        try (Session session = open()) {
            Companion companion = Options.ConversationChoice.open(session, requested);
            return follow(companion, companion::regenerate).exitCode();
        }
    }
}
