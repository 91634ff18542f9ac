package dev.companion.app;

import dev.companion.adapter.cli.CompanionCommandLine.ProviderOptions;
import dev.companion.adapter.cli.CompanionCommandLine.TimeLimits;
import dev.companion.adapter.llm.LanguageModels;
import dev.companion.adapter.llm.LanguageModels.ApiKey;
import dev.companion.adapter.llm.LanguageModels.AutoChoice;
import dev.companion.adapter.llm.LanguageModels.ProviderSettings;
import dev.companion.adapter.llm.LanguageModels.Timeouts;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.port.LanguageModel;
import dev.companion.core.port.PromptCatalog;
import dev.companion.runtime.OfflineLanguageModel;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Turns the provider options into the model that writes replies. Keys come from the environment
 * (the provider's usual variable, or the one named by {@code --api-key-env}) or a key file, never
 * from the command line; they go straight into the provider adapter's masked key type.
 */
final class ModelSelection {

    static final String OPENAI_KEY_ENV = "OPENAI_API_KEY";
    static final Duration TURN_MARGIN = Duration.ofSeconds(30);
    static final String ANTHROPIC_KEY_ENV = "ANTHROPIC_API_KEY";
    static final Duration OLLAMA_PROBE = Duration.ofMillis(400);
    /** A testing aid (docs/cli.md): the offline model's pause between words, to make its replies slow. */
    static final String OFFLINE_PAUSE_ENV = "COMPANION_OFFLINE_PAUSE_MS";
    static final long MAX_OFFLINE_PAUSE_MS = 10_000;

    private final Map<String, String> environment;
    private final PromptCatalog prompts;
    private final BooleanSupplier ollamaAnswers;

    ModelSelection(Map<String, String> environment, PromptCatalog prompts, BooleanSupplier ollamaAnswers) {
        this.environment = environment;
        this.prompts = prompts;
        this.ollamaAnswers = ollamaAnswers;
    }

    static ModelSelection forThisMachine(PromptCatalog prompts) {
        return new ModelSelection(System.getenv(), prompts,
                () -> LanguageModels.probeOllama(LanguageModels.OLLAMA_DEFAULT, OLLAMA_PROBE));
    }

    LanguageModel select(ProviderOptions options) {
        if (options.model().isPresent() && options.model().get().isBlank()) {
            throw notConfigured("--model must name a model.");
        }
        options.baseUrl().ifPresent(ModelSelection::requireHttp);
        return switch (options.provider()) {
            case OFFLINE -> offline("--provider offline: the offline model was asked for.");
            case OPENAI -> live(options, openAi(options, options.baseUrl()
                    .orElse(LanguageModels.OPENAI_DEFAULT_BASE_URL)).withReason("--provider openai"));
            case ANTHROPIC -> live(options, anthropic(options).withReason("--provider anthropic"));
            case AUTO -> auto(options);
        };
    }

    private LanguageModel auto(ProviderOptions options) {
        if (options.baseUrl().isPresent()) {
            // A base URL names a server: talk to it the OpenAI-compatible way, as most local servers speak.
            return live(options, openAi(options, options.baseUrl().get())
                    .withReason("auto: --base-url names an OpenAI-compatible server"));
        }
        Optional<ApiKey> anthropicKey = options.apiKeyEnv().isPresent() || options.apiKeyFile().isPresent()
                ? Optional.empty() : keyFromEnv(ANTHROPIC_KEY_ENV);
        Optional<ApiKey> openAiKey = key(options, OPENAI_KEY_ENV);
        AutoChoice choice = LanguageModels.chooseAuto(anthropicKey, openAiKey, options.model(), ollamaAnswers);
        return choice.settings().map(settings -> live(options, settings)).orElseGet(() -> offline(choice.reason()));
    }

    /**
     * A live model with the time limits and output limit asked for, each other one at the provider
     * adapter's default. (The offline model writes fixed text and has no output limit to set.)
     */
    private static LanguageModel live(ProviderOptions options, ProviderSettings settings) {
        TimeLimits asked = options.timeLimits();
        Timeouts defaults = Timeouts.defaults();
        ProviderSettings limited = settings.withTimeouts(new Timeouts(
                asked.connect().orElse(defaults.connect()),
                asked.firstToken().orElse(defaults.firstToken()),
                asked.idle().orElse(defaults.idle()),
                asked.total().orElse(defaults.total())));
        if (options.maxOutputTokens().isPresent()) {
            limited = limited.withMaxOutputTokens(options.maxOutputTokens().getAsInt());
        }
        return LanguageModels.create(limited);
    }

    /**
     * How long the runtime lets one turn run: a little longer than the provider's own total limit,
     * so a live reply that runs too long ends with the provider's more precise diagnostic.
     */
    static Duration turnTimeout(ProviderOptions options) {
        return options.timeLimits().total().orElse(Timeouts.defaults().total()).plus(TURN_MARGIN);
    }

    private ProviderSettings openAi(ProviderOptions options, URI baseUrl) {
        requireHttp(baseUrl);
        Optional<ApiKey> key = key(options, OPENAI_KEY_ENV);
        if (key.isEmpty() && LanguageModels.OPENAI_DEFAULT_BASE_URL.getHost().equals(baseUrl.getHost())) {
            throw notConfigured("OpenAI needs an API key: set " + OPENAI_KEY_ENV
                    + " (or name another variable with --api-key-env, or give --api-key-file).");
        }
        String model = options.model().orElse(key.isPresent() || options.baseUrl().isEmpty()
                ? LanguageModels.OPENAI_DEFAULT_MODEL : LanguageModels.OLLAMA_DEFAULT_MODEL);
        return ProviderSettings.openAi(baseUrl, model, key);
    }

    private ProviderSettings anthropic(ProviderOptions options) {
        URI baseUrl = options.baseUrl().orElse(LanguageModels.ANTHROPIC_DEFAULT_BASE_URL);
        requireHttp(baseUrl);
        ApiKey key = key(options, ANTHROPIC_KEY_ENV).orElseThrow(() -> notConfigured(
                "Anthropic needs an API key: set " + ANTHROPIC_KEY_ENV
                        + " (or name another variable with --api-key-env, or give --api-key-file)."));
        return ProviderSettings.anthropic(baseUrl, options.model().orElse(LanguageModels.ANTHROPIC_DEFAULT_MODEL), key);
    }

    private Optional<ApiKey> key(ProviderOptions options, String defaultVariable) {
        if (options.apiKeyFile().isPresent()) {
            try {
                return Optional.of(ApiKey.fromFile(options.apiKeyFile().get()));
            } catch (IOException | IllegalArgumentException e) {
                throw notConfigured("The API key file could not be read, or holds no usable key.");
            }
        }
        String variable = options.apiKeyEnv().orElse(defaultVariable);
        Optional<ApiKey> key = keyFromEnv(variable);
        if (key.isEmpty() && options.apiKeyEnv().isPresent()) {
            throw notConfigured("The environment variable " + variable + " named by --api-key-env is not set.");
        }
        return key;
    }

    private Optional<ApiKey> keyFromEnv(String variable) {
        String value = environment.get(variable);
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(ApiKey.of(value));
        } catch (IllegalArgumentException e) {
            throw notConfigured("The environment variable " + variable + " does not hold a usable API key.");
        }
    }

    private LanguageModel offline(String reason) {
        return new OfflineLanguageModel(prompts, offlinePause(), Optional.of(reason));
    }

    private Duration offlinePause() {
        String value = environment.get(OFFLINE_PAUSE_ENV);
        if (value == null || value.isBlank()) {
            return OfflineLanguageModel.DEFAULT_PAUSE;
        }
        try {
            long millis = Long.parseLong(value.strip());
            if (millis >= 0 && millis <= MAX_OFFLINE_PAUSE_MS) {
                return Duration.ofMillis(millis);
            }
        } catch (NumberFormatException e) {
            // Said below, with the accepted range.
        }
        throw new CompanionException(CompanionState.REJECTED, Diagnostic.error(DiagnosticCode.INVALID_PARAMETER,
                OFFLINE_PAUSE_ENV + " must be a whole number of milliseconds from 0 to " + MAX_OFFLINE_PAUSE_MS + "."));
    }

    private static void requireHttp(URI baseUrl) {
        String scheme = baseUrl.getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || baseUrl.getHost() == null) {
            throw notConfigured("--base-url must be an http:// or https:// URL with a host.");
        }
        // The provider adapter refuses these too, but as an IllegalArgumentException the CLI would
        // report as an internal error; the URL itself is not repeated, as it may hold a password.
        if (baseUrl.getRawUserInfo() != null || baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
            throw notConfigured("--base-url must not carry a user name, password, query or fragment; "
                    + "give the key with --api-key-env or --api-key-file.");
        }
    }

    private static CompanionException notConfigured(String message) {
        return new CompanionException(CompanionState.REJECTED,
                Diagnostic.error(DiagnosticCode.PROVIDER_NOT_CONFIGURED, message));
    }

}
