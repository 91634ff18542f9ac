package dev.companion.adapter.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line built for one command holds that command only, and it behaves as in the whole tree. */
class CommandsTest {

    private final RuntimeLauncher launcher = RuntimeLauncher.offline();

    @AfterEach
    void close() {
        launcher.close();
    }

    private CommandLine forArguments(String... args) {
        return Commands.forArguments(launcher, "1.2.3", new ByteArrayInputStream(new byte[0]), args);
    }

    @ParameterizedTest
    @ValueSource(strings = {"serve", "chat", "send", "regenerate", "edit", "conversations", "status", "transcript",
            "workers", "store"})
    void a_named_command_is_built_alone_and_answers_its_help_as_the_whole_tree_does(String command) {
        CommandLine alone = forArguments(command, "--help");
        CommandLine whole = Commands.build(launcher, "1.2.3", new ByteArrayInputStream(new byte[0]));

        assertThat(alone.getSubcommands().keySet()).containsExactly(command);
        assertThat(help(alone, command)).isEqualTo(help(whole, command)).contains("Usage: companion " + command);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--help", "--version", "completion", "serv", "-x"})
    void help_version_completion_and_a_mistyped_name_see_every_command(String first) {
        CommandLine commandLine = forArguments(first);

        assertThat(commandLine.getSubcommands().keySet())
                .containsExactly("serve", "chat", "send", "regenerate", "edit", "conversations", "status",
                        "transcript", "workers", "store", "completion");
    }

    @Test
    void no_arguments_see_every_command() {
        assertThat(forArguments().getSubcommands()).hasSize(11);
    }

    private static String help(CommandLine top, String command) {
        StringWriter out = new StringWriter();
        top.setOut(new PrintWriter(out));
        int exit = top.execute(command, "--help");
        assertThat(exit).isZero();
        return out.toString();
    }
}
