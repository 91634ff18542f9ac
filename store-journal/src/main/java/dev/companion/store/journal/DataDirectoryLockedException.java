package dev.companion.store.journal;

import dev.companion.core.model.Diagnostic;
import dev.companion.core.model.DiagnosticCode;
import dev.companion.core.port.StorageException;

/** Another process, or another store in this one, holds the data directory: one server per directory. */
public final class DataDirectoryLockedException extends StorageException {

    DataDirectoryLockedException() {
        super(Diagnostic.error(DiagnosticCode.DATA_DIRECTORY_LOCKED,
                "Another Companion server is using this data directory; stop it or choose another data directory."),
                null);
    }
}
