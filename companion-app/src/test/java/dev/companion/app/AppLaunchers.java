package dev.companion.app;

import dev.companion.adapter.cli.CompanionCommandLine.Launcher;
import dev.companion.prompts.ClasspathPromptCatalog;

import java.util.Map;

/**
 * The real composition root for tests in other packages (the launcher and model selection are
 * package-private): the environment is the map given, so a test's key never touches the process's
 * environment; no Ollama probe; transcripts in memory.
 */
public final class AppLaunchers {

    private AppLaunchers() {
    }

    public static Launcher inMemory(Map<String, String> environment) {
        ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();
        return new CompanionLauncher(prompts, new ModelSelection(Map.copyOf(environment), prompts, () -> false),
                CompanionLauncher.Storage.inMemory());
    }
}
