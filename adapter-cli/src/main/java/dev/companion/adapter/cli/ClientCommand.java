package dev.companion.adapter.cli;

import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.adapter.cli.CompanionCommandLine.Session;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** A command that drives a Companion, in-process or at {@code --url}, and may print JSON. */
abstract class ClientCommand implements Callable<Integer>, Failures.JsonOutput {

    final Launcher launcher;

    @Spec
    CommandSpec spec;

    @Mixin
    Options.Connect connect = new Options.Connect();

    @Mixin
    Options.JsonFlag jsonFlag = new Options.JsonFlag();

    ClientCommand(Launcher launcher) {
        this.launcher = launcher;
    }

    @Override
    public boolean json() {
        return jsonFlag.json;
    }

    Session open() {
        return launcher.open(connect.options(spec.commandLine()));
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    void printJson(Object value) {
        out().println(Json.write(value));
        out().flush();
    }
}
