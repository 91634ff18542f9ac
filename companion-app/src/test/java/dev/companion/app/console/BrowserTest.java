package dev.companion.app.console;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** A browser test of the console: each test class gets its own Chromium (see {@link ConsoleBrowser}). */
@ExtendWith(ConsoleBrowser.class)
abstract class BrowserTest {

    Chromium chromium;

    @BeforeEach
    void takeBrowser(Chromium chromium) {
        this.chromium = chromium;
    }
}
