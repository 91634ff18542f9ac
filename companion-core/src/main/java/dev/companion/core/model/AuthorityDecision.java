package dev.companion.core.model;

import java.util.Set;

/** The answer of an authority check: granted, or denied with the refused capabilities and why. */
public sealed interface AuthorityDecision {

    boolean granted();

    record Granted() implements AuthorityDecision {
        @Override
        public boolean granted() {
            return true;
        }
    }

    record Denied(Set<Capability> refused, Diagnostic reason) implements AuthorityDecision {
        public Denied {
            refused = Set.copyOf(refused);
        }

        @Override
        public boolean granted() {
            return false;
        }
    }
}
