package dev.companion.app;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code companion.server} in a data directory: the address of the server that holds the directory,
 * written when it starts listening and removed when it stops, so a command that finds the directory
 * locked can suggest the {@code --url} that answers. Best effort: a failure here never stops a server.
 */
final class ServerAddressFile {

    static final String NAME = "companion.server";
    private static final Logger LOG = Logger.getLogger(ServerAddressFile.class.getName());

    private ServerAddressFile() {
    }

    static void write(Path directory, URI server) {
        Path file = directory.resolve(NAME);
        Path temporary = directory.resolve(NAME + ".tmp");
        try {
            Files.deleteIfExists(temporary);
            try {
                Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException notPosix) {
                Files.createFile(temporary);
            }
            Files.writeString(temporary, server.toString() + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "the server's address could not be recorded: {0}", e.getClass().getSimpleName());
        }
    }

    static void remove(Path directory, URI server) {
        if (read(directory).filter(server::equals).isEmpty()) {
            return; // another server's record, or none
        }
        try {
            Files.deleteIfExists(directory.resolve(NAME));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "the server's address could not be removed: {0}", e.getClass().getSimpleName());
        }
    }

    /** The recorded address, when there is one that reads as an http(s) URL. */
    static Optional<URI> read(Path directory) {
        try {
            String text = Files.readString(directory.resolve(NAME), StandardCharsets.UTF_8).strip();
            URI uri = URI.create(text);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return Optional.of(uri);
            }
        } catch (IOException | IllegalArgumentException e) {
            // no record, or not one we wrote: say nothing rather than guess
        }
        return Optional.empty();
    }

}
