package dev.companion.core.model;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/** The set of capabilities a profile asks for (and, once granted, holds). */
public record Capabilities(Set<Capability> granted) {

    public Capabilities {
        granted = granted.isEmpty()
                ? Collections.unmodifiableSet(EnumSet.noneOf(Capability.class))
                : Collections.unmodifiableSet(EnumSet.copyOf(granted));
    }

    /** Accept input and read its own transcript: nothing more. */
    public static Capabilities conversationOnly() {
        return new Capabilities(EnumSet.of(Capability.ACCEPT_INPUT, Capability.READ_OWN_TRANSCRIPT));
    }

    public static Capabilities of(Capability... capabilities) {
        EnumSet<Capability> set = EnumSet.noneOf(Capability.class);
        Collections.addAll(set, capabilities);
        return new Capabilities(set);
    }

    public boolean has(Capability capability) {
        return granted.contains(capability);
    }
}
