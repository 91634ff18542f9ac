package dev.companion.runtime;

import dev.companion.core.model.AuthorityDeniedException;
import dev.companion.core.model.Capabilities;
import dev.companion.core.model.Capability;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.model.Profile;
import dev.companion.prompts.ClasspathPromptCatalog;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThat;

class AuthorityTest {

    @ParameterizedTest
    @EnumSource(value = Capability.class, names = {"FILESYSTEM", "SHELL", "GIT", "TICKET_MUTATION"})
    void a_profile_asking_for_more_than_conversation_is_refused_at_start(Capability extra) {
        Profile greedy = new Profile("companion", "Companion", "system/companion",
                Capabilities.of(Capability.ACCEPT_INPUT, Capability.READ_OWN_TRANSCRIPT, extra));
        assertThatExceptionOfType(AuthorityDeniedException.class)
                .isThrownBy(() -> CompanionRuntime.builder().prompts(new ClasspathPromptCatalog()).profile(greedy).build())
                .satisfies(e -> {
                    assertThat(e.decision().refused()).containsExactly(extra);
                    assertThat(e.diagnostic().code()).isEqualTo(DiagnosticCode.CAPABILITY_DENIED);
                    assertThat(e.getMessage()).contains(extra.wireName());
                });
    }
}
