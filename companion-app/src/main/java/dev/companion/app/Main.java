package dev.companion.app;

import dev.companion.adapter.cli.CompanionCommandLine;
import dev.companion.prompts.ClasspathPromptCatalog;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The {@code companion} program: wires the product and runs one command line. */
public final class Main {

    private Main() {
    }

    /**
     * Undertow and XNIO announce themselves at INFO, and so does Flyway each migration it checks;
     * a person running a command wants only warnings.
     */
    private static final List<Logger> QUIETED = List.of(Logger.getLogger("io.undertow"), Logger.getLogger("org.xnio"),
            Logger.getLogger("org.jboss"), Logger.getLogger("org.flywaydb"));

    public static void main(String[] args) {
        quietLibraries();
        System.exit(run(args));
    }

    static void quietLibraries() {
        QUIETED.forEach(logger -> logger.setLevel(Level.WARNING));
    }

    static int run(String... args) {
        ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();
        CompanionLauncher launcher = new CompanionLauncher(prompts, ModelSelection.forThisMachine(prompts),
                CompanionLauncher.Storage.journal(
                CompanionLauncher.Storage.defaultDirectory(System.getenv(), System.getProperty("user.home"))),
                new SharedStore(System.getenv()));
        return CompanionCommandLine.run(launcher, version(), args);
    }

    static String version() {
        String version = Main.class.getPackage().getImplementationVersion();
        return version != null ? version : "development build";
    }
}
