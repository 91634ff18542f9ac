package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.ExitCodes;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a shell completion script for companion.",
                "The zsh script uses zsh's bash completion support (bashcompinit)."},
        footerHeading = "%nExamples:%n",
        footer = {"  source <(companion completion bash)",
                "  companion completion zsh > \"${fpath[1]}/_companion\""})
final class CompletionCommand implements Callable<Integer> {

    enum Shell { bash, zsh }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SHELL", description = "bash or zsh.")
    Shell shell;

    @Override
    public Integer call() {
        // picocli's script detects zsh itself and loads bashcompinit there, so one script serves both.
        String script = AutoComplete.bash(spec.root().name(), spec.root().commandLine());
        spec.commandLine().getOut().print(script);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
