package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

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
        return build(launcher, version, stdin, interrupts, terminals, Optional.empty());
    }

    /**
     * The command line for these arguments: when they start with a command's name, the tree holds only
     * that command. Picocli builds the model of every command it is given (options, mixins, help texts)
     * by reflection before it parses anything, which was most of the time {@code companion serve} took to
     * start; a command never needs its siblings. Help, version, completion and a mistyped name see the
     * whole tree.
     */
    static CommandLine forArguments(Launcher launcher, String version, InputStream stdin, String... args) {
        Optional<String> named = args.length > 0 && !args[0].equals(COMPLETION) ? Optional.of(args[0]) : Optional.empty();
        return build(launcher, version, stdin, Interrupts.terminal(), Terminals.system(stdin), named);
    }

    private static final String COMPLETION = CompletionCommand.class.getAnnotation(Command.class).name();

    /** A command of the tree, made only when it is wanted. */
    private record Subcommand(Class<?> type, Supplier<Object> make) {
        String name() {
            return type.getAnnotation(Command.class).name();
        }
    }

    private static CommandLine build(Launcher launcher, String version, InputStream stdin, Interrupts interrupts,
                                     Terminals terminals, Optional<String> only) {
        List<Subcommand> subcommands = List.of(
                new Subcommand(ServeCommand.class, () -> new ServeCommand(launcher)),
                new Subcommand(ChatCommand.class, () -> new ChatCommand(launcher, stdin, interrupts, terminals)),
                new Subcommand(SendCommand.class, () -> new SendCommand(launcher, stdin)),
                new Subcommand(RegenerateCommand.class, () -> new RegenerateCommand(launcher, stdin)),
                new Subcommand(EditCommand.class, () -> new EditCommand(launcher, stdin)),
                new Subcommand(ConversationsCommand.class, () -> ConversationsCommand.tree(launcher)),
                new Subcommand(StatusCommand.class, () -> new StatusCommand(launcher)),
                new Subcommand(TranscriptCommand.class, () -> new TranscriptCommand(launcher)),
                new Subcommand(WorkersCommand.class, () -> new WorkersCommand(launcher)),
                new Subcommand(StoreCommand.class, () -> StoreCommand.tree(launcher)),
                new Subcommand(CompletionCommand.class, CompletionCommand::new));
        boolean named = only.isPresent() && subcommands.stream().anyMatch(sub -> sub.name().equals(only.get()));
        CommandLine top = new CommandLine(new TopCommand());
        for (Subcommand subcommand : subcommands) {
            if (!named || subcommand.name().equals(only.get())) {
                top.addSubcommand(subcommand.make().get());
            }
        }
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
