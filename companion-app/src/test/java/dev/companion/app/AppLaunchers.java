package dev.companion.app;

import dev.companion.adapter.cli.CompanionCommandLine.ProviderChoice;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderOptions;
import dev.companion.adapter.cli.CompanionCommandLine.RunningServer;
import dev.companion.adapter.cli.CompanionCommandLine.ServeOptions;
import dev.companion.adapter.cli.CompanionCommandLine.StorageOptions;
import dev.companion.prompts.ClasspathPromptCatalog;

import java.util.Map;
import java.util.Optional;

/** The launcher as `companion serve` wires it, for tests in other packages (the console's browser tests). */
public final class AppLaunchers {

    private AppLaunchers() {
    }

    /**
     * Serves on an ephemeral loopback port with the model `auto` picks on a machine with no keys and
     * no Ollama: the offline one. The transcript is kept in memory.
     */
    public static RunningServer serveWithNoModelAround() {
        ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();
        CompanionLauncher launcher = new CompanionLauncher(prompts, new ModelSelection(Map.of(), prompts, () -> false),
                CompanionLauncher.Storage.inMemory());
        return launcher.serve(new ServeOptions("127.0.0.1", 0, new ProviderOptions(ProviderChoice.AUTO,
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()),
                new StorageOptions(Optional.empty(), true), Optional.empty()));
    }
}
