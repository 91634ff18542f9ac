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

    private static final List<String> COUNTED_IMPACTS = List.of("serious", "critical");
    private static final List<String> ALWAYS_COUNTED = List.of("scrollable-region-focusable");

    private Axe() {
    }

    /**
     * The serious and critical violations on the page now, one line each (rule, impact, the elements
     * and axe's summary). {@code label-content-name-mismatch}, experimental in axe, is switched on;
     * {@code scrollable-region-focusable} counts at any impact, because newer axe releases than the
     * WebJar's rate it serious. Lesser findings are printed, not counted.
     */
    static List<String> seriousViolations(WebDriver driver) {
        JavascriptExecutor js = (JavascriptExecutor) driver;
        if (!Boolean.TRUE.equals(js.executeScript("return typeof window.axe === 'object';"))) {
            js.executeScript(SOURCE);
        }
        Map<?, ?> result = (Map<?, ?>) js.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "axe.run(document, {resultTypes: ['violations'], rules: {'label-content-name-mismatch': {enabled: true}}})"
                + ".then(r => done({checked: [...r.passes, ...r.violations, ...r.incomplete].map(v => v.id),"
                + " violations: r.violations"
                + ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ') + ' :: '"
                + " + (n.failureSummary || '').replace(/\\s+/g, ' '))}))}), e => done({checked: [], violations: [{id: 'axe-error',"
                + " impact: 'critical', nodes: [String(e)]}]}));");
        // The rules the console once broke must have found something to check, or the run proved nothing.
        List<?> checked = (List<?>) result.get("checked");
        if (!checked.contains("color-contrast") || !checked.contains("button-name")) {
            throw new AssertionError("axe checked too little to trust: " + checked);
        }
        List<String> lines = new ArrayList<>();
        for (Object o : (List<?>) result.get("violations")) {
            Map<?, ?> v = (Map<?, ?>) o;
            String line = v.get("id") + " (" + v.get("impact") + "): " + v.get("nodes");
            if (COUNTED_IMPACTS.contains(v.get("impact")) || ALWAYS_COUNTED.contains(v.get("id"))) {
                lines.add(line);
            } else {
                System.out.println("[axe, not counted] " + line);
            }
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
