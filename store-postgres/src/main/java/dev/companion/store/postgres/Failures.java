package dev.companion.store.postgres;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.port.StorageException;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * The one place where what PostgreSQL, the driver and the pool throw becomes a {@link StorageException}.
 * Messages are written for the outside: they never name the host, the port, the database, the user
 * or the password (the cause, kept for the server's log, may name the host).
 */
final class Failures {

    /** Whether an operation only read (a failure reads {@code storage_read_failed}) or wrote. */
    enum Access { READ, WRITE }

    private Failures() {
    }

    static StorageException translate(Throwable failure, Access access) {
        if (refusedCredentials(failure)) {
            return unavailable("The transcript database refused the user name or password.", failure);
        }
        if (hasState(failure, "08004")) {
            // The driver's "connection rejected": most often a server asking for a password none was given for.
            return unavailable("The transcript database refused the connection: it asks for a password and none "
                    + "was given, or for a way of logging in this server does not support.", failure);
        }
        if (hasState(failure, "3D000")) {
            return unavailable("The transcript database named in the settings does not exist.", failure);
        }
        if (connectionFailed(failure)) {
            return unavailable("The transcript database cannot be reached right now.", failure);
        }
        if (hasState(failure, "42P01") || hasState(failure, "42703") || hasState(failure, "3F000")) {
            return schemaOutdated(failure);
        }
        return access == Access.READ ? StorageException.readFailed(failure) : StorageException.writeFailed(failure);
    }

    static StorageException schemaOutdated(Throwable cause) {
        return new StorageException(Diagnostic.error(DiagnosticCode.STORE_SCHEMA_OUTDATED,
                "The transcript database has no Companion tables, or older ones than this server needs; "
                        + "migrate it first."), cause);
    }

    static StorageException migrationFailed(Throwable cause) {
        if (connectionFailed(cause) || refusedCredentials(cause)) {
            return translate(cause, Access.WRITE);
        }
        return new StorageException(Diagnostic.error(DiagnosticCode.STORE_SCHEMA_OUTDATED,
                "The transcript database's Companion tables could not be migrated; nothing was changed."), cause);
    }

    private static StorageException unavailable(String message, Throwable cause) {
        return new StorageException(Diagnostic.error(DiagnosticCode.STORE_UNAVAILABLE, message), cause);
    }

    /**
     * The connection could not be made or was lost: the pool gave up waiting for one, or PostgreSQL
     * answered with a connection exception (class 08), a shutdown or start-up (57P01..57P03), or too
     * many connections (53300).
     */
    static boolean connectionFailed(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
                        || state.equals("57P03") || state.equals("53300")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The connection broke under a statement already sent: worth one retry for a read, never for a write. */
    static boolean connectionLost(Throwable failure) {
        return connectionFailed(failure) && !(failure instanceof SQLTransientConnectionException);
    }

    private static boolean refusedCredentials(Throwable failure) {
        return hasStateClass(failure, "28");
    }

    private static boolean hasState(Throwable failure, String state) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && state.equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasStateClass(Throwable failure, String stateClass) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith(stateClass)) {
                return true;
            }
        }
        return false;
    }
}
