package dev.companion.core.port;

import dev.companion.core.model.CompanionException;
import dev.companion.core.model.CompanionState;
import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;

/** The transcript could not be written or read. The message never names a file or path. */
public class StorageException extends CompanionException {

    public StorageException(Diagnostic diagnostic, Throwable cause) {
        super(CompanionState.ERROR, diagnostic, cause);
    }

    public static StorageException writeFailed(Throwable cause) {
        return new StorageException(Diagnostic.error(DiagnosticCode.STORAGE_WRITE_FAILED,
                "The transcript could not be written; the message was not accepted."), cause);
    }

    public static StorageException readFailed(Throwable cause) {
        return new StorageException(Diagnostic.error(DiagnosticCode.STORAGE_READ_FAILED,
                "The transcript could not be read."), cause);
    }
}
