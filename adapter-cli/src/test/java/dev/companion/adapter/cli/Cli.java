package dev.companion.adapter.cli;

import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/** Runs the command line in-process, as picocli's testing guide shows, with captured streams. */
final class Cli {

    private Cli() {
    }

    record Run(int exitCode, String out, String err) {
        String[] errLines() {
            return err.isEmpty() ? new String[0] : err.split("\\R");
        }
    }

    static Run run(CompanionCommandLine.Launcher launcher, String... args) {
        return runWithInput(launcher, "", args);
    }

    static Run runWithInput(CompanionCommandLine.Launcher launcher, String stdin, String... args) {
        CommandLine commandLine = CompanionCommandLine.create(launcher, "1.2.3",
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }
}
