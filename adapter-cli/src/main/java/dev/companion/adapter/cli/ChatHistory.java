package dev.companion.adapter.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The lines typed at chat's prompt, kept in a file so the next chat can recall them: one entry a
 * line, with backslash, line feed and carriage return escaped ({@code \\}, {@code \n}, {@code \r}).
 * The newest {@link #MAX_ENTRIES} are kept. Each entry is appended as it is typed, so a chat that
 * ends abruptly loses none, and two chats at once both keep theirs.
 *
 * <p>Keeping history is a convenience: a file that cannot be read or written costs the history, never
 * the chat. That is said once, on standard error, by the exception's type only, since its message
 * would carry the file's path.
 */
final class ChatHistory {

    static final int MAX_ENTRIES = 1000;
    /** The file is rewritten to the newest entries once it holds this many more. */
    private static final int SLACK = MAX_ENTRIES / 4;
    /** A larger file is not this program's: it is left alone rather than read whole. */
    private static final long MAX_FILE_BYTES = 32L * 1024 * 1024;

    private final Path file;
    private final PrintWriter err;
    private boolean failed;

    ChatHistory(Path file, PrintWriter err) {
        this.file = file;
        this.err = err;
    }

    /** The entries kept, oldest first; none when there is no file yet. */
    List<String> load() {
        try {
            if (!Files.isRegularFile(file)) {
                return List.of();
            }
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new IOException("too large");
            }
            // Malformed bytes become U+FFFD rather than losing every entry.
            String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            List<String> entries = new ArrayList<>();
            for (String line : text.split("\n")) {
                if (!line.isEmpty()) {
                    entries.add(unescape(line));
                }
            }
            if (entries.size() > MAX_ENTRIES + SLACK) {
                entries = new ArrayList<>(entries.subList(entries.size() - MAX_ENTRIES, entries.size()));
                rewrite(entries);
            }
            return entries.size() > MAX_ENTRIES ? entries.subList(entries.size() - MAX_ENTRIES, entries.size())
                    : entries;
        } catch (IOException | RuntimeException e) {
            failed(e);
            return List.of();
        }
    }

    void append(String entry) {
        if (failed) {
            return;
        }
        try {
            create();
            Files.writeString(file, escape(entry) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException | RuntimeException e) {
            failed(e);
        }
    }

    private void rewrite(List<String> entries) throws IOException {
        StringBuilder text = new StringBuilder();
        entries.forEach(entry -> text.append(escape(entry)).append('\n'));
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        createOwnerOnly(temporary);
        Files.writeString(temporary, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** What a person types is theirs: the file is readable by its owner only, where the system allows. */
    private void create() throws IOException {
        if (!Files.exists(file)) {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                createOwnerOnly(file);
            } catch (FileAlreadyExistsException e) {
                // Another chat made it in between: append to it.
            }
        }
    }

    private static void createOwnerOnly(Path path) throws IOException {
        try {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(path);
        }
    }

    private void failed(Exception e) {
        if (!failed) {
            failed = true;
            err.println("note: the chat history is not kept; its file could not be read or written ("
                    + e.getClass().getSimpleName() + ")");
            err.flush();
        }
    }

    static String escape(String entry) {
        return entry.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r");
    }

    static String unescape(String line) {
        StringBuilder entry = new StringBuilder(line.length());
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length()) {
                char next = line.charAt(++i);
                entry.append(next == 'n' ? '\n' : next == 'r' ? '\r' : next);
            } else {
                entry.append(c);
            }
        }
        return entry.toString();
    }
}
