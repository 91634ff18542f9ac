package dev.companion.adapter.llm;

import dev.companion.core.model.ProviderInfo;
import dev.companion.core.port.LanguageModel;
import dev.companion.adapter.llm.FakeProvider.Response;
import dev.companion.adapter.llm.LanguageModels.ApiKey;
import dev.companion.adapter.llm.LanguageModels.AutoChoice;
import dev.companion.adapter.llm.LanguageModels.Kind;
import dev.companion.adapter.llm.LanguageModels.ProviderSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class LanguageModelsTest {

    @Test
    void provider_info_shows_kind_model_live_and_only_the_host() {
        LanguageModel model = LanguageModels.create(ProviderSettings.openAi(
                URI.create("https://llm.example.test:8443/secret/path/v1"), "m1", Optional.of(ApiKey.of("sk-x")))
                .withReason("because"));

        ProviderInfo info = model.provider();

        assertThat(info).isEqualTo(new ProviderInfo("openai", "m1", true, Optional.of("llm.example.test"), Optional.of("because")));
    }

    @Test
    void the_key_prints_masked() {
        assertThat(ApiKey.of("sk-very-secret").toString()).isEqualTo("ApiKey[****]");
        assertThat(ProviderSettings.anthropic(URI.create("https://api.anthropic.com"), "c", ApiKey.of("sk-very-secret")).toString())
                .doesNotContain("sk-very-secret").contains("anthropic", "api.anthropic.com");
    }

    @Test
    void a_malformed_key_is_refused_without_repeating_it() {
        assertThatIllegalArgumentException().isThrownBy(() -> ApiKey.of("sk-has space"))
                .withMessageNotContaining("sk-has");
        assertThatIllegalArgumentException().isThrownBy(() -> ApiKey.of("  "));
        // A key pasted with a typographic character could never go in a header, and the JDK's own
        // header check would quote it in its exception: refuse it here, without repeating it.
        assertThatIllegalArgumentException().isThrownBy(() -> ApiKey.of("sk-canary-pasted\u2026"))
                .withMessageNotContaining("sk-canary");
        assertThatIllegalArgumentException().isThrownBy(() -> ApiKey.of("sk-caf\u00e9"));
    }

    @Test
    void a_key_file_gives_its_first_line(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("key"), "sk-from-file\n");

        assertThat(ApiKey.fromFile(file).reveal()).isEqualTo("sk-from-file");
    }

    @Test
    void settings_refuse_urls_with_credentials_or_query_and_anthropic_without_key() {
        assertThatIllegalArgumentException().isThrownBy(() ->
                ProviderSettings.openAi(URI.create("http://user:pw@host/v1"), "m", Optional.empty()));
        assertThatIllegalArgumentException().isThrownBy(() ->
                ProviderSettings.openAi(URI.create("http://host/v1?key=x"), "m", Optional.empty()));
        assertThatIllegalArgumentException().isThrownBy(() ->
                new ProviderSettings(Kind.ANTHROPIC, URI.create("https://api.anthropic.com"), "c", Optional.empty(),
                        LanguageModels.Timeouts.defaults(), LanguageModels.Retry.defaults(), 1000, java.util.OptionalInt.of(100),
                        Optional.empty()));
        assertThatIllegalArgumentException().isThrownBy(() ->
                LanguageModels.anthropic(ProviderSettings.openAi(URI.create("http://h/v1"), "m", Optional.empty())));
    }

    @Test
    void auto_prefers_anthropic_then_openai_then_ollama_then_offline() {
        Optional<ApiKey> key = Optional.of(ApiKey.of("sk-k"));

        AutoChoice anthropic = LanguageModels.chooseAuto(key, key, Optional.empty(), () -> true);
        AutoChoice openAi = LanguageModels.chooseAuto(Optional.empty(), key, Optional.of("gpt-x"), () -> true);
        AutoChoice ollama = LanguageModels.chooseAuto(Optional.empty(), Optional.empty(), Optional.empty(), () -> true);
        AutoChoice offline = LanguageModels.chooseAuto(Optional.empty(), Optional.empty(), Optional.empty(), () -> false);

        assertThat(anthropic.settings()).hasValueSatisfying(s -> assertThat(s.kind()).isEqualTo(Kind.ANTHROPIC));
        assertThat(openAi.settings()).hasValueSatisfying(s -> {
            assertThat(s.kind()).isEqualTo(Kind.OPENAI);
            assertThat(s.model()).isEqualTo("gpt-x");
        });
        assertThat(ollama.settings()).hasValueSatisfying(s -> {
            assertThat(s.baseUrl()).isEqualTo(URI.create("http://127.0.0.1:11434/v1"));
            assertThat(s.apiKey()).isEmpty();
            assertThat(s.reason()).hasValueSatisfying(r -> assertThat(r).contains("Ollama"));
        });
        assertThat(offline.settings()).isEmpty();
        assertThat(offline.reason()).contains("no local Ollama answered");
    }

    @Test
    void the_ollama_probe_sees_a_server_that_answers() throws IOException {
        try (FakeProvider ollama = new FakeProvider().then(Response.status(200, "{\"models\":[]}".getBytes()))) {
            assertThat(LanguageModels.probeOllama(ollama.baseUrl(""), Duration.ofSeconds(5))).isTrue();
            assertThat(ollama.received().get(0).path()).isEqualTo("/api/tags");
            assertThat(ollama.received().get(0).method()).isEqualTo("GET");
        }
    }

    @Test
    void the_ollama_probe_says_no_when_nothing_listens() throws IOException {
        URI closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }

        assertThat(LanguageModels.probeOllama(closed, Duration.ofMillis(500))).isFalse();
    }

    @Test
    void no_output_limit_is_set_unless_asked_and_a_limit_must_be_positive() {
        ProviderSettings settings = ProviderSettings.openAi(URI.create("http://h/v1"), "m", Optional.empty());

        assertThat(settings.maxOutputTokens()).isEmpty();
        assertThat(settings.withMaxOutputTokens(2048).maxOutputTokens()).hasValue(2048);
        assertThatIllegalArgumentException().isThrownBy(() -> settings.withMaxOutputTokens(0));
    }
}
