package dev.companion.prompts;

import dev.companion.core.port.PromptCatalog;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Prompts as Markdown resources on the classpath: the prompt {@code offline/reply} is the resource
 * {@code prompts/offline/reply.md}. Texts are read once and kept; a trailing newline is dropped.
 */
public final class ClasspathPromptCatalog implements PromptCatalog {

    private static final Pattern NAME = Pattern.compile("[a-z0-9_-]+(/[a-z0-9_-]+)*");

    private final ClassLoader loader;
    private final Map<String, String> cache = new ConcurrentHashMap<>();

    public ClasspathPromptCatalog() {
        this(ClasspathPromptCatalog.class.getClassLoader());
    }

    public ClasspathPromptCatalog(ClassLoader loader) {
        this.loader = loader;
    }

    @Override
    public String text(String name) {
        String known = name == null ? null : cache.get(name);
        if (known != null) {
            // Only a valid name was ever cached; a status asks for the same two prompts on every poll.
            return known;
        }
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a prompt name: " + name);
        }
        return cache.computeIfAbsent(name, this::load);
    }

    private String load(String name) {
        String resource = "prompts/" + name + ".md";
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no prompt named " + name);
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        } catch (IOException e) {
            throw new UncheckedIOException("prompt " + name + " could not be read", e);
        }
    }
}
