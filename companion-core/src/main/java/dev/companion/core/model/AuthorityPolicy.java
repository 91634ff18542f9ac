package dev.companion.core.model;

import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The Companion's authority rule: it may accept input and read its own transcript, and nothing
 * else. A profile or request asking for more is refused with a decision, never silently trimmed.
 */
public final class AuthorityPolicy {

    /** The one-word name of this authority, shown in status so nobody has to infer it. */
    public static final String CONVERSATION_ONLY = "conversation_only";

    private static final Set<Capability> ALLOWED =
            EnumSet.of(Capability.ACCEPT_INPUT, Capability.READ_OWN_TRANSCRIPT);

    private AuthorityPolicy() {
    }

    public static AuthorityDecision decide(Capabilities requested) {
        EnumSet<Capability> refused = EnumSet.noneOf(Capability.class);
        for (Capability capability : requested.granted()) {
            if (!ALLOWED.contains(capability)) {
                refused.add(capability);
            }
        }
        if (refused.isEmpty()) {
            return new AuthorityDecision.Granted();
        }
        String names = refused.stream().map(Capability::wireName).collect(Collectors.joining(", "));
        return new AuthorityDecision.Denied(refused, Diagnostic.error(DiagnosticCode.CAPABILITY_DENIED,
                "The Companion's authority is conversation only; refused: " + names + "."));
    }

    public static AuthorityDecision decide(Capability requested) {
        return decide(Capabilities.of(requested));
    }
}
