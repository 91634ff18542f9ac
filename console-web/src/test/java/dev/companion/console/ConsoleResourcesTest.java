package dev.companion.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The console is served under a strict Content-Security-Policy (no inline script or style, only
 * this origin). These checks keep the files able to run under it, and keep every asset the page
 * asks for actually on the classpath, WebJars included.
 */
class ConsoleResourcesTest {

    private static final String CONSOLE = "console/";
    private static final String VENDOR_URL = "/console/vendor/";
    private static final String WEBJARS = "META-INF/resources/webjars/";

    private static final Pattern SCRIPT_TAG = Pattern.compile("<script\\b([^>]*)>", Pattern.CASE_INSENSITIVE);
    private static final Pattern HANDLER_ATTRIBUTE = Pattern.compile("\\son[a-z]+\\s*=", Pattern.CASE_INSENSITIVE);
    private static final Pattern ABSOLUTE_URL = Pattern.compile("(?i)\\b(?:https?:)?//[a-z0-9.-]+\\.[a-z]{2,}");
    private static final Pattern ASSET_REFERENCE = Pattern.compile("\\b(?:src|href)=\"([^\"]*)\"");

    @ParameterizedTest
    @ValueSource(strings = {"index.html", "console.css", "console.js"})
    void console_files_are_on_the_classpath_and_not_empty(String name) {
        assertThat(read(CONSOLE + name)).isNotBlank();
    }

    @Test
    void page_has_no_inline_script() {
        Matcher tags = SCRIPT_TAG.matcher(page());
        int count = 0;
        while (tags.find()) {
            count++;
            assertThat(tags.group(1)).as("script tag %s", tags.group()).contains("src=");
        }
        assertThat(count).as("the page loads its code from files").isGreaterThan(0);
        assertThat(page()).doesNotContainIgnoringCase("javascript:");
    }

    @Test
    void page_has_no_inline_style_or_event_handler_attributes() {
        assertThat(page()).doesNotContainIgnoringCase("<style").doesNotContainIgnoringCase("style=");
        assertThat(HANDLER_ATTRIBUTE.matcher(page()).find()).as("an on...= handler attribute").isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"index.html", "console.css", "console.js"})
    void no_file_refers_to_another_host(String name) {
        String text = read(CONSOLE + name);
        // Every reference is a path on this server: no scheme, no protocol-relative host.
        assertThat(text).doesNotContainIgnoringCase("http://").doesNotContainIgnoringCase("https://");
        Matcher url = ABSOLUTE_URL.matcher(text);
        assertThat(url.find() ? url.group() : null).as("protocol-relative URL in %s", name).isNull();
    }

    @Test
    void script_builds_no_code_from_strings_and_no_html_from_strings() {
        String script = read(CONSOLE + "console.js");
        // Model output reaches the DOM only as text or as the sanitiser's DOM fragment.
        assertThat(script)
                .doesNotContain("eval(")
                .doesNotContain("new Function")
                .doesNotContain("innerHTML")
                .doesNotContain("outerHTML")
                .doesNotContain("insertAdjacentHTML")
                .doesNotContain("document.write");
    }

    @Test
    void every_asset_the_page_asks_for_is_on_the_classpath() {
        List<String> references = assetReferences();
        assertThat(references).contains("/console/console.css", "/console/console.js");
        for (String reference : references) {
            assertThat(resource(classpathPathOf(reference))).as("classpath resource for %s", reference).isNotNull();
        }
    }

    @Test
    void markdown_sanitiser_and_highlighter_come_from_packaged_webjars() {
        assertThat(assetReferences())
                .anyMatch(r -> r.startsWith(VENDOR_URL + "marked/"))
                .anyMatch(r -> r.startsWith(VENDOR_URL + "dompurify/"))
                .anyMatch(r -> r.startsWith(VENDOR_URL + "highlightjs/"));
    }

    @Test
    void every_text_field_has_a_label() {
        Matcher fields = Pattern.compile("<(textarea|input|select)\\b[^>]*\\bid=\"([^\"]+)\"").matcher(page());
        int count = 0;
        while (fields.find()) {
            count++;
            assertThat(page()).as("label for #%s", fields.group(2)).contains("for=\"" + fields.group(2) + "\"");
        }
        assertThat(count).isGreaterThan(0);
    }

    private static List<String> assetReferences() {
        List<String> references = new ArrayList<>();
        Matcher m = ASSET_REFERENCE.matcher(page());
        while (m.find()) {
            String value = m.group(1);
            if (value.startsWith("/")) references.add(value);
        }
        return references;
    }

    private static String classpathPathOf(String reference) {
        if (reference.startsWith(VENDOR_URL)) return WEBJARS + reference.substring(VENDOR_URL.length());
        return CONSOLE + reference.substring("/console/".length());
    }

    private static String page() {
        return read(CONSOLE + "index.html");
    }

    private static URL resource(String path) {
        return ConsoleResourcesTest.class.getClassLoader().getResource(path);
    }

    private static String read(String path) {
        try (InputStream in = ConsoleResourcesTest.class.getClassLoader().getResourceAsStream(path)) {
            assertThat(in).as("classpath resource %s", path).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
