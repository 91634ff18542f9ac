package dev.companion.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.companion.adapter.cli.fixture.CliUsingHttp;
import dev.companion.adapter.http.fixture.StatusJson;
import dev.companion.core.model.fixture.CoreUsingRuntime;
import dev.companion.core.model.fixture.LeakyProjection;
import dev.companion.runtime.fixture.Chatty;
import dev.companion.runtime.fixture.a.A;
import dev.companion.runtime.fixture.b.B;
import dev.companion.store.fixture.StoreUsingRuntime;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rules pass on the product; these fixtures (test classes, so outside the product's import)
 * prove that each rule fails on the thing it forbids, so a passing build means something.
 */
class RulesCatchViolationsTest {

    private static final JavaClasses FIXTURES = new ClassFileImporter().importClasses(
            LeakyProjection.class, CoreUsingRuntime.class, Chatty.class, A.class, B.class,
            StatusJson.class, CliUsingHttp.class, StoreUsingRuntime.class, dev.companion.runtime.CompanionRuntime.class);

    @Test
    void a_projection_with_a_path_is_caught() {
        assertThat(report(ArchitectureTest.projections_carry_no_file_system_paths))
                .contains("LeakyProjection").contains("java.nio.file.Path");
    }

    @Test
    void members_named_like_secrets_are_caught_in_projections_and_adapter_json() {
        assertThat(report(ArchitectureTest.projections_have_no_member_named_like_a_secret))
                .contains("LeakyProjection.apiKey").contains("StatusJson.sessionToken");
    }

    @Test
    void the_core_depending_on_the_runtime_is_caught_twice() {
        assertThat(report(ArchitectureTest.core_depends_only_on_the_jdk)).contains("CoreUsingRuntime");
        assertThat(report(ArchitectureTest.dependencies_point_inward)).contains("CoreUsingRuntime");
    }

    @Test
    void standard_streams_and_stack_traces_outside_the_cli_are_caught() {
        assertThat(report(ArchitectureTest.only_the_cli_and_the_app_touch_standard_streams))
                .contains("System.out").contains("printStackTrace");
    }

    @Test
    void picocli_outside_the_cli_is_caught() {
        assertThat(report(ArchitectureTest.picocli_stays_in_the_cli_adapter)).contains("Chatty");
    }

    @Test
    void a_package_cycle_is_caught() {
        assertThat(report(ArchitectureTest.packages_are_free_of_cycles)).contains("fixture.a").contains("fixture.b");
    }

    @Test
    void an_adapter_using_another_is_caught() {
        assertThat(report(ArchitectureTest.adapters_do_not_depend_on_each_other)).contains("CliUsingHttp");
    }

    @Test
    void a_store_using_the_runtime_is_caught_and_so_is_its_extra_public_type() {
        assertThat(report(ArchitectureTest.stores_depend_only_on_the_core_and_storage_engines)).contains("StoreUsingRuntime");
        assertThat(report(ArchitectureTest.each_store_exposes_one_public_entry_type_and_its_failures))
                .contains("StoreUsingRuntime");
    }

    @Test
    void a_count_of_tokens_is_not_a_secret_but_a_token_string_is() throws Exception {
        record Counted(long inputTokens, int totalTokens, String refreshToken, String apiTokens) {
        }
        var members = new com.tngtech.archunit.core.importer.ClassFileImporter().importClasses(Counted.class)
                .get(Counted.class).getFields();
        assertThat(members).filteredOn(ArchitectureTest::isTokenCount)
                .extracting(com.tngtech.archunit.core.domain.JavaField::getName)
                .containsExactlyInAnyOrder("inputTokens", "totalTokens");
    }

    @Test
    void test_jars_and_test_classes_are_left_out_of_the_import() {
        DoNotIncludeTestJars option = new DoNotIncludeTestJars();

        assertThat(option.includes(Location.of(URI.create(
                "jar:file:/repo/companion-core/target/companion-core-0.1.0-SNAPSHOT-tests.jar!/dev/companion/core/X.class"))))
                .isFalse();
        assertThat(option.includes(Location.of(URI.create("file:/repo/adapter-cli/target/test-classes/dev/X.class"))))
                .isFalse();
        assertThat(option.includes(Location.of(URI.create(
                "jar:file:/repo/companion-core/target/companion-core-0.1.0-SNAPSHOT.jar!/dev/companion/core/X.class"))))
                .isTrue();
    }

    private static String report(ArchRule rule) {
        EvaluationResult result = rule.evaluate(FIXTURES);
        assertThat(result.hasViolation()).as("%s finds the violation", rule.getDescription()).isTrue();
        return String.join("\n", result.getFailureReport().getDetails());
    }
}
