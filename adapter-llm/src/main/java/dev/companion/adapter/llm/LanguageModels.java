package dev.companion.adapter.llm;

import dev.companion.core.port.LanguageModel;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;

/**
 * The one public entry of the provider adapter: builds a {@link LanguageModel} that talks to a live
 * provider, and helps the composition root pick one for {@code --provider auto}.
 *
 * <pre>{@code
 * var settings = LanguageModels.ProviderSettings.openAi(URI.create("http://127.0.0.1:11434/v1"),
 *         "llama3.2", Optional.empty());
 * LanguageModel model = LanguageModels.create(settings);
 * }</pre>
 */
public final class LanguageModels {

    /** Ollama's default address; its OpenAI-compatible API lives under {@code /v1}. */
    public static final URI OLLAMA_DEFAULT = URI.create("http://127.0.0.1:11434");
    public static final URI OPENAI_DEFAULT_BASE_URL = URI.create("https://api.openai.com/v1");
    public static final URI ANTHROPIC_DEFAULT_BASE_URL = URI.create("https://api.anthropic.com");
    public static final String OPENAI_DEFAULT_MODEL = "gpt-4o-mini";
    public static final String ANTHROPIC_DEFAULT_MODEL = "claude-sonnet-4-5";
    public static final String OLLAMA_DEFAULT_MODEL = "llama3.2";

    private LanguageModels() {
    }

    /** A live model for the settings' kind. */
    public static LanguageModel create(ProviderSettings settings) {
        return switch (settings.kind()) {
            case OPENAI -> openAiCompatible(settings);
            case ANTHROPIC -> anthropic(settings);
        };
    }

    /** OpenAI Chat Completions, or any server that speaks it (Ollama, llama.cpp, vLLM, LM Studio). */
    public static LanguageModel openAiCompatible(ProviderSettings settings) {
        requireKind(settings, Kind.OPENAI);
        return new OpenAiCompatibleLanguageModel(settings, Sleeper.REAL, java.time.Clock.systemUTC());
    }

    /** Anthropic Messages. */
    public static LanguageModel anthropic(ProviderSettings settings) {
        requireKind(settings, Kind.ANTHROPIC);
        return new AnthropicLanguageModel(settings, Sleeper.REAL, java.time.Clock.systemUTC());
    }

    /**
     * Whether an Ollama server answers at {@code base} (e.g. {@link #OLLAMA_DEFAULT}) within
     * {@code timeout}: a GET of {@code /api/tags}, falling back to {@code /v1/models}. Never throws.
     */
    public static boolean probeOllama(URI base, Duration timeout) {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(timeout, "timeout");
        HttpClient client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        for (String path : new String[] {"/api/tags", "/v1/models"}) {
            try {
                HttpRequest request = HttpRequest.newBuilder(resolve(base, path)).timeout(timeout).GET().build();
                HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return true;
                }
            } catch (IOException | RuntimeException e) {
                // Not answering is the expected outcome when no local server runs.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /**
     * What {@code --provider auto} picks: Anthropic when its key is set, else OpenAI when its key is
     * set, else a local Ollama when {@code ollamaAnswers} says so, else nothing (the offline model).
     * The reason says which and why, for status.
     *
     * @param model the model the person asked for, if any; else each provider's default
     */
    public static AutoChoice chooseAuto(Optional<ApiKey> anthropicKey, Optional<ApiKey> openAiKey,
                                        Optional<String> model, BooleanSupplier ollamaAnswers) {
        if (anthropicKey.isPresent()) {
            return new AutoChoice(Optional.of(ProviderSettings.anthropic(ANTHROPIC_DEFAULT_BASE_URL,
                    model.orElse(ANTHROPIC_DEFAULT_MODEL), anthropicKey.get())
                    .withReason("auto: an Anthropic API key is set")), "auto: an Anthropic API key is set");
        }
        if (openAiKey.isPresent()) {
            return new AutoChoice(Optional.of(ProviderSettings.openAi(OPENAI_DEFAULT_BASE_URL,
                    model.orElse(OPENAI_DEFAULT_MODEL), openAiKey)
                    .withReason("auto: an OpenAI API key is set")), "auto: an OpenAI API key is set");
        }
        if (ollamaAnswers.getAsBoolean()) {
            String why = "auto: a local Ollama answered on " + OLLAMA_DEFAULT.getHost() + ":" + OLLAMA_DEFAULT.getPort();
            return new AutoChoice(Optional.of(ProviderSettings.openAi(resolve(OLLAMA_DEFAULT, "/v1"),
                    model.orElse(OLLAMA_DEFAULT_MODEL), Optional.empty()).withReason(why)), why);
        }
        return new AutoChoice(Optional.empty(),
                "auto: no Anthropic or OpenAI API key is set and no local Ollama answered");
    }

    private static void requireKind(ProviderSettings settings, Kind kind) {
        if (settings.kind() != kind) {
            throw new IllegalArgumentException("these settings are for " + settings.kind().wireName()
                    + ", not " + kind.wireName());
        }
    }

    static URI resolve(URI base, String path) {
        String text = base.toString();
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        return URI.create(text + path);
    }

    /** The wire protocol a provider speaks. */
    public enum Kind {
        /** OpenAI Chat Completions and the servers compatible with it. */
        OPENAI,
        /** Anthropic Messages. */
        ANTHROPIC;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * An API key. It is kept only here and sent only in the provider's auth header; its
     * {@code toString()} masks it and no exception message ever carries it.
     */
    public static final class ApiKey {

        private final String value;

        private ApiKey(String value) {
            this.value = value;
        }

        public static ApiKey of(String value) {
            Objects.requireNonNull(value, "value");
            String trimmed = value.strip();
            if (trimmed.isEmpty()) {
                throw new IllegalArgumentException("an API key must not be blank");
            }
            for (int i = 0; i < trimmed.length(); i++) {
                char c = trimmed.charAt(i);
                if (c <= ' ' || c > '~') {
                    // No value in the message: it would print the key. Only visible ASCII can go in an HTTP
                    // header; anything else would make the JDK's header check quote the key in its exception.
                    throw new IllegalArgumentException("an API key holds only visible ASCII characters, "
                            + "no spaces or control characters");
                }
            }
            return new ApiKey(trimmed);
        }

        /** The key in a file (first line, trimmed); the file's path is not repeated in errors. */
        public static ApiKey fromFile(Path file) throws IOException {
            try (InputStream in = Files.newInputStream(file)) {
                String text = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
                int newline = text.indexOf('\n');
                return of(newline < 0 ? text : text.substring(0, newline));
            }
        }

        /** Only the adapter reads the key, to put it in a header. */
        String reveal() {
            return value;
        }

        @Override
        public String toString() {
            return "ApiKey[****]";
        }
    }

    /**
     * The four time limits of one reply. {@code connect}: to open the connection. {@code firstToken}:
     * from sending the request to the first piece of text. {@code idle}: between two pieces of text.
     * {@code total}: the whole reply, retries included.
     */
    public record Timeouts(Duration connect, Duration firstToken, Duration idle, Duration total) {

        public Timeouts {
            requirePositive(connect, "connect");
            requirePositive(firstToken, "firstToken");
            requirePositive(idle, "idle");
            requirePositive(total, "total");
        }

        public static Timeouts defaults() {
            return new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(30),
                    Duration.ofMinutes(5));
        }

        private static void requirePositive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive");
            }
        }
    }

    /**
     * Retries before the first piece of text: at most {@code maxRetries}, waiting an exponential
     * backoff from {@code initialBackoff} with jitter, or the provider's {@code Retry-After} when it
     * is at most {@code maxRetryAfter} (a longer hint ends the turn at once as {@code busy}).
     */
    public record Retry(int maxRetries, Duration initialBackoff, Duration maxRetryAfter) {

        public Retry {
            if (maxRetries < 0 || maxRetries > 2) {
                throw new IllegalArgumentException("maxRetries must be between 0 and 2");
            }
            Objects.requireNonNull(initialBackoff, "initialBackoff");
            Objects.requireNonNull(maxRetryAfter, "maxRetryAfter");
            if (initialBackoff.isNegative() || maxRetryAfter.isNegative()
                    || maxRetryAfter.compareTo(Duration.ofSeconds(60)) > 0) {
                throw new IllegalArgumentException("backoff must not be negative and Retry-After is honoured up to 60 s");
            }
        }

        public static Retry defaults() {
            return new Retry(2, Duration.ofMillis(500), Duration.ofSeconds(60));
        }
    }

    /**
     * How to reach one provider. {@code historyBudgetChars} bounds the characters of history sent
     * (the system prompt and the newest user message are always sent). {@code reason} says why this
     * provider was chosen.
     *
     * <p>{@code maxOutputTokens} is the most a reply may use, reasoning included, as the official SDKs
     * treat it: sent only when set, except to Anthropic, whose API requires one and gets
     * {@link #DEFAULT_MAX_OUTPUT_TOKENS} when none is set. Unset, an OpenAI-compatible server applies
     * its own default. A reply that reaches the limit ends {@code TRUNCATED}, with what arrived kept.
     */
    public record ProviderSettings(Kind kind, URI baseUrl, String model, Optional<ApiKey> apiKey,
                                   Timeouts timeouts, Retry retry, int historyBudgetChars, OptionalInt maxOutputTokens,
                                   Optional<String> reason) {

        public static final int DEFAULT_HISTORY_BUDGET_CHARS = 48_000;
        /** What Anthropic is sent when no output limit is set: room for a long reply, or a reply after some thinking. */
        public static final int DEFAULT_MAX_OUTPUT_TOKENS = 8192;

        public ProviderSettings {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(baseUrl, "baseUrl");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(apiKey, "apiKey");
            Objects.requireNonNull(timeouts, "timeouts");
            Objects.requireNonNull(retry, "retry");
            Objects.requireNonNull(maxOutputTokens, "maxOutputTokens");
            Objects.requireNonNull(reason, "reason");
            String scheme = baseUrl.getScheme();
            if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || baseUrl.getHost() == null) {
                throw new IllegalArgumentException("the base URL must be an http or https URL with a host");
            }
            if (baseUrl.getRawUserInfo() != null || baseUrl.getRawQuery() != null) {
                throw new IllegalArgumentException("the base URL must not carry user info or a query");
            }
            if (model.isBlank()) {
                throw new IllegalArgumentException("a model name is needed");
            }
            if (kind == Kind.ANTHROPIC && apiKey.isEmpty()) {
                throw new IllegalArgumentException("Anthropic needs an API key");
            }
            if (historyBudgetChars < 1) {
                throw new IllegalArgumentException("the history budget must be positive");
            }
            if (maxOutputTokens.isPresent() && maxOutputTokens.getAsInt() < 1) {
                throw new IllegalArgumentException("maxOutputTokens must be positive");
            }
        }

        /** OpenAI or a compatible server; the key is optional for local servers. */
        public static ProviderSettings openAi(URI baseUrl, String model, Optional<ApiKey> apiKey) {
            return new ProviderSettings(Kind.OPENAI, baseUrl, model, apiKey, Timeouts.defaults(), Retry.defaults(),
                    DEFAULT_HISTORY_BUDGET_CHARS, OptionalInt.empty(), Optional.empty());
        }

        public static ProviderSettings anthropic(URI baseUrl, String model, ApiKey apiKey) {
            return new ProviderSettings(Kind.ANTHROPIC, baseUrl, model, Optional.of(apiKey), Timeouts.defaults(),
                    Retry.defaults(), DEFAULT_HISTORY_BUDGET_CHARS, OptionalInt.empty(), Optional.empty());
        }

        public ProviderSettings withTimeouts(Timeouts value) {
            return new ProviderSettings(kind, baseUrl, model, apiKey, value, retry, historyBudgetChars,
                    maxOutputTokens, reason);
        }

        public ProviderSettings withRetry(Retry value) {
            return new ProviderSettings(kind, baseUrl, model, apiKey, timeouts, value, historyBudgetChars,
                    maxOutputTokens, reason);
        }

        public ProviderSettings withHistoryBudgetChars(int value) {
            return new ProviderSettings(kind, baseUrl, model, apiKey, timeouts, retry, value,
                    maxOutputTokens, reason);
        }

        /** An explicit output limit, sent to every provider (see the class comment). */
        public ProviderSettings withMaxOutputTokens(int value) {
            return new ProviderSettings(kind, baseUrl, model, apiKey, timeouts, retry, historyBudgetChars,
                    OptionalInt.of(value), reason);
        }

        public ProviderSettings withReason(String value) {
            return new ProviderSettings(kind, baseUrl, model, apiKey, timeouts, retry, historyBudgetChars,
                    maxOutputTokens, Optional.of(value));
        }

        /** The key is masked by {@link ApiKey#toString()}; the URL's path is left out on purpose. */
        @Override
        public String toString() {
            return "ProviderSettings[kind=" + kind.wireName() + ", host=" + baseUrl.getHost() + ", model=" + model
                    + ", apiKey=" + apiKey.map(ApiKey::toString).orElse("none") + "]";
        }
    }

    /** What {@code --provider auto} picked: settings for a live provider, or none (offline), and why. */
    public record AutoChoice(Optional<ProviderSettings> settings, String reason) {

        public AutoChoice {
            Objects.requireNonNull(settings, "settings");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
