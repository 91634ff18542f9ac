package dev.companion.core.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

class AuthorityPolicyTest {

    @Test
    void conversation_only_capabilities_are_granted() {
        assertThat(AuthorityPolicy.decide(Capabilities.conversationOnly())).isInstanceOf(AuthorityDecision.Granted.class);
        assertThat(AuthorityPolicy.decide(Profile.companion().capabilities()).granted()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = Capability.class, names = {"FILESYSTEM", "SHELL", "GIT", "TICKET_MUTATION"})
    void anything_beyond_conversation_is_denied_with_a_typed_decision(Capability capability) {
        AuthorityDecision decision = AuthorityPolicy.decide(capability);
        assertThat(decision).isInstanceOfSatisfying(AuthorityDecision.Denied.class, denied -> {
            assertThat(denied.refused()).containsExactly(capability);
            assertThat(denied.reason().code()).isEqualTo(DiagnosticCode.CAPABILITY_DENIED);
            assertThat(denied.reason().severity()).isEqualTo(Severity.ERROR);
        });
    }

    @Test
    void a_mixed_request_is_denied_whole_never_silently_trimmed() {
        AuthorityDecision decision = AuthorityPolicy.decide(
                Capabilities.of(Capability.ACCEPT_INPUT, Capability.SHELL, Capability.GIT));
        assertThat(decision.granted()).isFalse();
        assertThat(((AuthorityDecision.Denied) decision).refused())
                .containsExactlyInAnyOrder(Capability.SHELL, Capability.GIT);
    }

    @Test
    void the_companion_profile_is_conversation_only() {
        assertThat(Profile.companion().capabilities().granted())
                .containsExactlyInAnyOrder(Capability.ACCEPT_INPUT, Capability.READ_OWN_TRANSCRIPT);
        assertThat(AuthorityPolicy.CONVERSATION_ONLY).isEqualTo("conversation_only");
    }
}
