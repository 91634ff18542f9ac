package dev.companion.architecture;

import dev.companion.core.model.DiagnosticCode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/diagnostics.md is the one catalogue the console and CLI wording follow: it must list every
 * code the product can emit, each with a severity, a meaning and what to do, and nothing else.
 */
class DiagnosticsCatalogueTest {

    private static final Pattern ROW = Pattern.compile("^\\|\\s*`([a-z0-9_]+)`\\s*\\|(.*)\\|\\s*$");

    private static final List<Row> ROWS = new ArrayList<>();

    record Row(String code, List<String> cells) {
    }

    @BeforeAll
    static void readCatalogue() throws IOException {
        Path catalogue = reactorRoot().resolve("docs/diagnostics.md");
        for (String line : Files.readAllLines(catalogue, StandardCharsets.UTF_8)) {
            Matcher row = ROW.matcher(line.strip());
            if (row.matches()) {
                ROWS.add(new Row(row.group(1), Arrays.stream(row.group(2).split("\\|", -1)).map(String::strip).toList()));
            }
        }
    }

    @Test
    void every_code_in_the_enum_is_documented() {
        List<String> documented = ROWS.stream().map(Row::code).toList();

        assertThat(documented).containsAll(Arrays.stream(DiagnosticCode.values()).map(DiagnosticCode::wireName).toList());
    }

    @Test
    void every_documented_code_exists_and_is_listed_once() {
        List<String> known = Arrays.stream(DiagnosticCode.values()).map(DiagnosticCode::wireName).toList();
        List<String> documented = ROWS.stream().map(Row::code).toList();

        assertThat(documented).doesNotHaveDuplicates();
        assertThat(known).containsAll(documented);
    }

    @Test
    void every_row_has_a_severity_a_meaning_and_what_to_do() {
        assertThat(ROWS).isNotEmpty().allSatisfy(row -> {
            assertThat(row.cells()).as(row.code()).hasSize(3);
            assertThat(row.cells().get(0)).as(row.code() + " severity").isIn("info", "warning", "error");
            assertThat(row.cells().get(1)).as(row.code() + " meaning").isNotBlank();
            assertThat(row.cells().get(2)).as(row.code() + " what to do").isNotBlank();
        });
    }

    /** Walks up from the working directory to the pom whose own artifactId is companion-parent. */
    static Path reactorRoot() throws IOException {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path pom = dir.resolve("pom.xml");
            if (Files.isRegularFile(pom)) {
                // Module poms name companion-parent in their <parent> block; only the root's own does count.
                String own = Files.readString(pom, StandardCharsets.UTF_8).replaceAll("(?s)<parent>.*?</parent>", "");
                if (own.contains("<artifactId>companion-parent</artifactId>")) {
                    return dir;
                }
            }
        }
        throw new IllegalStateException("no pom.xml of companion-parent above " + Path.of("").toAbsolutePath());
    }
}
