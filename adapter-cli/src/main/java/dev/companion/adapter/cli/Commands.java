package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import picocli.CommandLine;

import java.io.InputStream;

/** Assembles the command tree and gives every command the same version, exit codes and error edge. */
final class Commands {

    private Commands() {
    }

    static CommandLine build(Launcher launcher, String version, InputStream stdin) {
        return build(launcher, version, stdin, Interrupts.terminal(), Terminals.system(stdin));
    }

    /** As the composition root's command line, with {@code chat} hearing Ctrl-C from {@code interrupts}, reading plain lines. */
    static CommandLine build(Launcher launcher, String version, InputStream stdin, Interrupts interrupts) {
        return build(launcher, version, stdin, interrupts, Terminals.none());
    }

    /** As the composition root's command line, with {@code chat} in the terminal {@code terminals} gives, if any. */
    static CommandLine build(Launcher launcher, String version, InputStream stdin, Interrupts interrupts,
                             Terminals terminals) {
        CommandLine top = new CommandLine(new TopCommand());
        top.addSubcommand(new ServeCommand(launcher));
        top.addSubcommand(new ChatCommand(launcher, stdin, interrupts, terminals));
        top.addSubcommand(new SendCommand(launcher, stdin));
        top.addSubcommand(new RegenerateCommand(launcher, stdin));
        top.addSubcommand(new EditCommand(launcher, stdin));
        top.addSubcommand(ConversationsCommand.tree(launcher));
        top.addSubcommand(new StatusCommand(launcher));
        top.addSubcommand(new TranscriptCommand(launcher));
        top.addSubcommand(new WorkersCommand(launcher));
        top.addSubcommand(StoreCommand.tree(launcher));
        top.addSubcommand(new CompletionCommand());
        Failures failures = new Failures();
        // Set after adding the subcommands: these setters reach only commands already in the tree.
        top.setExecutionExceptionHandler(failures);
        top.setParameterExceptionHandler(failures);
        configure(top, "companion " + version);
        return top;
    }

    private static void configure(CommandLine commandLine, String version) {
        commandLine.getCommandSpec().version(version);
        commandLine.getCommandSpec().usageMessage()
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(Failures.EXIT_CODE_HELP);
        for (CommandLine sub : commandLine.getSubcommands().values()) {
            configure(sub, version);
        }
    }
}
