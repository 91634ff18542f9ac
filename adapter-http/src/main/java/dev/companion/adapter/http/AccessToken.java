package dev.companion.adapter.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The access token a request must carry when one is configured. Only its SHA-256 digest is kept,
 * and presented tokens are compared digest to digest in constant time, so neither the token's
 * length nor its prefix can be learned from timing. Never printed.
 */
final class AccessToken {

    private static final String BEARER = "Bearer ";

    private final byte[] digest;

    private AccessToken(byte[] digest) {
        this.digest = digest;
    }

    static AccessToken of(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("the access token must not be blank");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw new IllegalArgumentException("the access token must be printable ASCII without spaces");
            }
        }
        return new AccessToken(sha256(token));
    }

    /** Whether an {@code Authorization} header value carries this token as a bearer token. */
    boolean admits(String authorization) {
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        return MessageDigest.isEqual(digest, sha256(authorization.substring(BEARER.length()).trim()));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "AccessToken[****]";
    }
}
