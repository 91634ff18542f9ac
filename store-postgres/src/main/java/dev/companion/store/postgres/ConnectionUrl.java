package dev.companion.store.postgres;

import dev.companion.store.postgres.PostgresConversationCatalog.Settings;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads {@code postgresql://[USER@]HOST[:PORT]/DATABASE[?user=USER&sslmode=MODE]}. No error message
 * repeats the URL: one given with a password in it would print the password.
 */
final class ConnectionUrl {

    private static final String FORM = "a PostgreSQL URL looks like postgresql://HOST:PORT/DATABASE?user=USER";

    private ConnectionUrl() {
    }

    static Settings parse(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException(FORM);
        }
        String text = url.strip();
        if (text.startsWith("jdbc:")) {
            text = text.substring("jdbc:".length());
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(FORM);
        }
        String scheme = uri.getScheme();
        if (!"postgresql".equals(scheme) && !"postgres".equals(scheme)) {
            throw new IllegalArgumentException(FORM);
        }
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null && userInfo.contains(":")) {
            throw new IllegalArgumentException("a PostgreSQL URL must not carry a password; give it separately");
        }
        String host = uri.getHost();
        if (host == null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(FORM);
        }
        int port = uri.getPort() < 0 ? Settings.DEFAULT_PORT : uri.getPort();
        String path = uri.getRawPath();
        if (path == null || path.length() < 2 || path.indexOf('/', 1) >= 0) {
            throw new IllegalArgumentException(FORM + " (the database name is missing)");
        }
        String database = decode(path.substring(1));
        Optional<String> user = Optional.ofNullable(userInfo).map(ConnectionUrl::decode);
        Optional<String> sslMode = Optional.empty();
        String query = uri.getRawQuery();
        if (query != null && !query.isEmpty()) {
            for (String parameter : query.split("&")) {
                int equals = parameter.indexOf('=');
                String name = decode(equals < 0 ? parameter : parameter.substring(0, equals));
                String value = equals < 0 ? "" : decode(parameter.substring(equals + 1));
                switch (name) {
                    case "user" -> user = Optional.of(value);
                    case "sslmode" -> sslMode = Optional.of(value);
                    case "password" -> throw new IllegalArgumentException(
                            "a PostgreSQL URL must not carry a password; give it separately");
                    default -> throw new IllegalArgumentException(name.matches("[A-Za-z_]{1,40}")
                            ? "the URL parameter '" + name + "' is not supported; use user and sslmode"
                            : "only the URL parameters user and sslmode are supported");
                }
            }
        }
        Settings settings = Settings.of(host, port, database, user.orElseGet(() -> System.getProperty("user.name")));
        return sslMode.map(settings::withSslMode).orElse(settings);
    }

    private static String decode(String raw) {
        try {
            return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(FORM + " (a %-escape in it is malformed)");
        }
    }
}
