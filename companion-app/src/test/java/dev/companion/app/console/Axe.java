package dev.companion.app.console;

import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * axe-core (the WebJar, test scope) run inside the page as it is: injected through the driver, which
 * the page's CSP does not govern, so the console itself never loads it.
 */
final class Axe {

    private static final String WEBJAR = "META-INF/resources/webjars/axe-core/";
    private static final String SOURCE = read(WEBJAR + version() + "/axe.min.js");

    private Axe() {
    }

    /**
     * The serious and critical violations on the page now, one line each (rule, impact, the elements
     * and axe's summary). {@code label-content-name-mismatch}, experimental in axe, is switched on.
     */
    static List<String> seriousViolations(WebDriver driver) {
        JavascriptExecutor js = (JavascriptExecutor) driver;
        if (!Boolean.TRUE.equals(js.executeScript("return typeof window.axe === 'object';"))) {
            js.executeScript(SOURCE);
        }
        Object raw = js.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "axe.run(document, {resultTypes: ['violations'], rules: {'label-content-name-mismatch': {enabled: true}}})"
                + ".then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')"
                + ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ') + ' :: '"
                + " + (n.failureSummary || '').replace(/\\s+/g, ' '))}))), e => done([{id: 'axe-error', impact: 'critical',"
                + " nodes: [String(e)]}]));");
        List<String> lines = new ArrayList<>();
        for (Object o : (List<?>) raw) {
            Map<?, ?> v = (Map<?, ?>) o;
            lines.add(v.get("id") + " (" + v.get("impact") + "): " + v.get("nodes"));
        }
        return lines;
    }

    private static String version() {
        Properties properties = new Properties();
        try (InputStream in = resource("META-INF/maven/org.webjars.npm/axe-core/pom.properties")) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties.getProperty("version");
    }

    private static String read(String path) {
        try (InputStream in = resource(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String path) {
        InputStream in = Axe.class.getClassLoader().getResourceAsStream(path);
        if (in == null) {
            throw new AssertionError("axe-core is not on the test classpath: " + path);
        }
        return in;
    }
}
