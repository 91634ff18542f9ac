package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import dev.companion.core.model.CompanionStatus;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.ProviderInfo;
import dev.companion.core.model.ConversationId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.util.Optional;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the Companion's state in a conversation, and its worker, authority, provider and transport.",
        footerHeading = "%nExamples:%n",
        footer = {"  companion status",
                "  companion status --conversation c-0f6e…",
                "  companion status --url http://127.0.0.1:8765 --json"})
final class StatusCommand extends ClientCommand {

    @Mixin
    Options.ConversationChoice conversation = new Options.ConversationChoice();

    StatusCommand(Launcher launcher) {
        super(launcher);
    }

    @Override
    public Integer call() {
        Optional<ConversationId> requested = conversation.requested();
        CompanionStatus status;
        try (Session session = open()) {
            status = Options.ConversationChoice.open(session, requested).status();
        }
        if (json()) {
            printJson(Views.status(status));
        } else {
            print(out(), Palette.detect(), status);
        }
        return ExitCodes.OK;
    }

    static void print(PrintWriter out, Palette palette, CompanionStatus status) {
        ProviderInfo provider = status.provider();
        out.println("state:       " + palette.state(status.state()));
        out.println("conversation: " + status.conversation());
        out.println("worker:      " + status.worker().label() + " (" + status.worker().id() + "), "
                + palette.state(status.worker().status()));
        out.println("authority:   " + status.authority());
        out.println("provider:    " + provider.kind() + ", model " + provider.model()
                + provider.host().map(host -> ", at " + host).orElse("")
                + (provider.live() ? ", live" : ", " + palette.bold("not live")));
        provider.reason().ifPresent(reason -> out.println("             " + reason));
        out.println("transport:   " + status.transport().kind() + ", completion by " + status.transport().completion());
        status.transport().limitation().ifPresent(limitation -> out.println("limitation:  " + limitation));
        status.runningTurn().ifPresent(turn -> out.println("running:     " + turn));
        if (!status.diagnostics().isEmpty()) {
            out.println("diagnostics:");
            for (Diagnostic diagnostic : status.diagnostics()) {
                out.println("  " + palette.severity(diagnostic.severity()) + " " + diagnostic.code().wireName()
                        + ": " + diagnostic.message());
            }
        }
        out.flush();
    }
}
