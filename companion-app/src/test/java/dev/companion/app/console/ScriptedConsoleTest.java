package dev.companion.app.console;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A browser test against a fresh console server per test, whose model the test holds in its hand;
 * the page is made but not opened, so a test can script the model before the console loads.
 */
abstract class ScriptedConsoleTest extends BrowserTest {

    ScriptedConsoleServer server;
    ConsolePage page;

    @BeforeEach
    void startServer() {
        server = ScriptedConsoleServer.start();
        page = new ConsolePage(chromium.driver);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }
}
