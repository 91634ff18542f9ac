package dev.companion.app;

import dev.companion.adapter.cli.CompanionCommandLine.ProviderChoice;
import dev.companion.adapter.cli.CompanionCommandLine.ProviderOptions;
import dev.companion.core.model.CompanionException;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.ProviderInfo;
import dev.companion.prompts.ClasspathPromptCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class ModelSelectionTest {

    private static final String CANARY = "sk-canary-7f3a9c1e5b";

    private final ClasspathPromptCatalog prompts = new ClasspathPromptCatalog();

    private ProviderInfo select(Map<String, String> env, boolean ollama, ProviderOptions options) {
        return new ModelSelection(env, prompts, () -> ollama).select(options).provider();
    }

    private static ProviderOptions options(ProviderChoice choice) {
        return new ProviderOptions(choice, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    @Test
    void auto_prefers_an_anthropic_key_and_says_why_without_the_key() {
        ProviderInfo info = select(Map.of("ANTHROPIC_API_KEY", CANARY, "OPENAI_API_KEY", CANARY + "2"), true,
                options(ProviderChoice.AUTO));
        assertThat(info.kind()).isEqualTo("anthropic");
        assertThat(info.live()).isTrue();
        assertThat(info.host()).contains("api.anthropic.com");
        assertThat(info.reason()).hasValueSatisfying(reason -> assertThat(reason).contains("Anthropic"));
        assertThat(info.toString()).doesNotContain(CANARY);
    }

    @Test
    void auto_takes_an_openai_key_next() {
        ProviderInfo info = select(Map.of("OPENAI_API_KEY", CANARY), true, options(ProviderChoice.AUTO));
        assertThat(info.kind()).isEqualTo("openai");
        assertThat(info.host()).contains("api.openai.com");
        assertThat(info.toString()).doesNotContain(CANARY);
    }

    @Test
    void auto_uses_a_local_ollama_when_one_answers() {
        ProviderInfo info = select(Map.of(), true, options(ProviderChoice.AUTO));
        assertThat(info.kind()).isEqualTo("openai");
        assertThat(info.host()).contains("127.0.0.1");
        assertThat(info.reason().orElseThrow()).contains("Ollama");
    }

    @Test
    void auto_falls_back_to_the_offline_model_and_says_so() {
        ProviderInfo info = select(Map.of(), false, options(ProviderChoice.AUTO));
        assertThat(info.kind()).isEqualTo("offline");
        assertThat(info.live()).isFalse();
        assertThat(info.reason().orElseThrow()).contains("no Anthropic or OpenAI API key");
    }

    @Test
    void offline_is_offline_even_with_keys_set() {
        ProviderInfo info = select(Map.of("OPENAI_API_KEY", CANARY), true, options(ProviderChoice.OFFLINE));
        assertThat(info.kind()).isEqualTo("offline");
    }

    @Test
    void the_offline_pause_variable_takes_milliseconds_and_refuses_anything_else() {
        assertThat(select(Map.of(ModelSelection.OFFLINE_PAUSE_ENV, "0"), false, options(ProviderChoice.OFFLINE)).kind())
                .isEqualTo("offline");
        assertThat(select(Map.of(ModelSelection.OFFLINE_PAUSE_ENV, " 40 "), false, options(ProviderChoice.AUTO)).kind())
                .isEqualTo("offline");
        for (String bad : new String[] {"-1", "1.5", "fast", "10001"}) {
            assertThatExceptionOfType(CompanionException.class)
                    .isThrownBy(() -> select(Map.of(ModelSelection.OFFLINE_PAUSE_ENV, bad), false,
                            options(ProviderChoice.OFFLINE)))
                    .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.INVALID_PARAMETER));
        }
    }

    @Test
    void anthropic_without_a_key_refuses_to_start_with_a_typed_error() {
        assertThatExceptionOfType(CompanionException.class)
                .isThrownBy(() -> select(Map.of(), false, options(ProviderChoice.ANTHROPIC)))
                .satisfies(e -> {
                    assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_NOT_CONFIGURED);
                    assertThat(e.getMessage()).contains("ANTHROPIC_API_KEY");
                });
    }

    @Test
    void openai_needs_a_key_for_its_own_service_but_not_for_a_local_server() {
        assertThatExceptionOfType(CompanionException.class)
                .isThrownBy(() -> select(Map.of(), false, options(ProviderChoice.OPENAI)));
        ProviderInfo local = select(Map.of(), false, new ProviderOptions(ProviderChoice.OPENAI, Optional.of("qwen3"),
                Optional.of(URI.create("http://127.0.0.1:8080/v1")), Optional.empty(), Optional.empty()));
        assertThat(local.kind()).isEqualTo("openai");
        assertThat(local.model()).isEqualTo("qwen3");
        assertThat(local.host()).contains("127.0.0.1");
    }

    @Test
    void a_key_can_come_from_a_named_variable_or_a_file(@TempDir Path dir) throws IOException {
        ProviderInfo named = select(Map.of("MY_KEY", CANARY), false, new ProviderOptions(ProviderChoice.ANTHROPIC,
                Optional.empty(), Optional.empty(), Optional.of("MY_KEY"), Optional.empty()));
        assertThat(named.kind()).isEqualTo("anthropic");

        Path keyFile = Files.writeString(dir.resolve("key"), CANARY + "\n");
        ProviderInfo fromFile = select(Map.of(), false, new ProviderOptions(ProviderChoice.ANTHROPIC,
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(keyFile)));
        assertThat(fromFile.kind()).isEqualTo("anthropic");
        assertThat(fromFile.toString()).doesNotContain(CANARY);
    }

    @Test
    void an_unset_named_variable_or_unreadable_file_is_a_clear_error_without_the_path(@TempDir Path dir) {
        assertThatExceptionOfType(CompanionException.class)
                .isThrownBy(() -> select(Map.of(), false, new ProviderOptions(ProviderChoice.OPENAI, Optional.empty(),
                        Optional.empty(), Optional.of("NOT_SET_ANYWHERE"), Optional.empty())))
                .satisfies(e -> assertThat(e.getMessage()).contains("NOT_SET_ANYWHERE"));
        Path missing = dir.resolve("secret-dir").resolve("key");
        assertThatExceptionOfType(CompanionException.class)
                .isThrownBy(() -> select(Map.of(), false, new ProviderOptions(ProviderChoice.ANTHROPIC, Optional.empty(),
                        Optional.empty(), Optional.empty(), Optional.of(missing))))
                .satisfies(e -> {
                    assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_NOT_CONFIGURED);
                    assertThat(e.getMessage()).doesNotContain(dir.toString()).doesNotContain("secret-dir");
                });
    }

    @Test
    void a_base_url_must_be_http() {
        assertThatExceptionOfType(CompanionException.class)
                .isThrownBy(() -> select(Map.of(), false, new ProviderOptions(ProviderChoice.OPENAI, Optional.empty(),
                        Optional.of(URI.create("file:///etc/passwd")), Optional.empty(), Optional.empty())))
                .satisfies(e -> assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_NOT_CONFIGURED));
    }

    @Test
    void a_base_url_with_credentials_or_a_query_or_a_blank_model_is_a_typed_error_not_an_internal_one() {
        for (ProviderChoice choice : new ProviderChoice[] {ProviderChoice.OPENAI, ProviderChoice.ANTHROPIC,
                ProviderChoice.AUTO}) {
            for (String url : new String[] {"http://user:hunter2@127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1?key=hunter2"}) {
                assertThatExceptionOfType(CompanionException.class)
                        .isThrownBy(() -> select(Map.of("ANTHROPIC_API_KEY", CANARY), false, new ProviderOptions(choice,
                                Optional.empty(), Optional.of(URI.create(url)), Optional.empty(), Optional.empty())))
                        .satisfies(e -> {
                            assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_NOT_CONFIGURED);
                            assertThat(e.getMessage()).contains("--base-url").doesNotContain("hunter2");
                        });
            }
            assertThatExceptionOfType(CompanionException.class)
                    .isThrownBy(() -> select(Map.of("ANTHROPIC_API_KEY", CANARY), false, new ProviderOptions(choice,
                            Optional.of(" "), Optional.of(URI.create("http://127.0.0.1:8080/v1")), Optional.empty(),
                            Optional.empty())))
                    .satisfies(e -> {
                        assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.PROVIDER_NOT_CONFIGURED);
                        assertThat(e.getMessage()).contains("--model");
                    });
        }
    }
}
