package dev.companion.adapter.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "companion", mixinStandardHelpOptions = true,
        description = {"Talk to the Companion, a conversational LLM with no authority beyond talking,",
                "in a browser (serve), in the terminal (chat) or from scripts (send, regenerate, edit, conversations,",
                "status, transcript, workers)."},
        footerHeading = "%nExamples:%n",
        footer = {"  companion serve                       # then open the printed address",
                "  companion send \"hello\"",
                "  companion conversations",
                "  companion status --url http://127.0.0.1:8765 --json",
                "",
                "Run 'companion COMMAND --help' for a command's options. Diagnostic codes are explained in docs/diagnostics.md."})
final class TopCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "name a command, e.g. 'companion serve'");
    }
}
