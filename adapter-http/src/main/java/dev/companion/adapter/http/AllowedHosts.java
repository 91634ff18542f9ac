package dev.companion.adapter.http;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The names this server answers to, as {@code Host} header values. A page on another site that
 * rebinds its DNS name to 127.0.0.1 still sends its own name, so it is refused. Loopback names
 * are always allowed; the bind host too when it is not loopback (a token is then required). Bound
 * to a wildcard address the server cannot know every name it is reached by, so any host is
 * allowed there and the required token is what keeps strangers out.
 */
record AllowedHosts(Set<String> authorities, boolean anyHost) {

    AllowedHosts {
        authorities = Set.copyOf(authorities);
    }

    static AllowedHosts of(String bindHost, int port, boolean wildcard) {
        Set<String> names = new LinkedHashSet<>();
        for (String loopback : new String[] {"127.0.0.1", "localhost", "[::1]"}) {
            names.add(loopback + ":" + port);
            if (port == 80) {
                names.add(loopback); // a browser leaves out the default port
            }
        }
        String bind = authorityHost(bindHost);
        names.add(bind + ":" + port);
        if (port == 80) {
            names.add(bind);
        }
        Set<String> lower = new LinkedHashSet<>();
        names.forEach(name -> lower.add(name.toLowerCase(Locale.ROOT)));
        return new AllowedHosts(lower, wildcard);
    }

    /** An IPv6 literal is written in brackets in a Host header and a URI. */
    static String authorityHost(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    boolean admitsHost(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        if (anyHost) {
            return host.chars().allMatch(c -> c > 0x20 && c < 0x7f);
        }
        return authorities.contains(host.toLowerCase(Locale.ROOT));
    }

    /** The Origin of a page served by this server, reached by the (already admitted) host. */
    boolean admitsOrigin(String origin, String host) {
        String lower = origin.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("http://")) {
            return false;
        }
        String authority = lower.substring("http://".length());
        if (anyHost) {
            return authority.equals(host.toLowerCase(Locale.ROOT));
        }
        return authorities.contains(authority);
    }
}
