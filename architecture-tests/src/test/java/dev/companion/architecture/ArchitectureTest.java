package dev.companion.architecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;

import java.io.File;
import java.nio.file.Path;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static com.tngtech.archunit.base.DescribedPredicate.alwaysTrue;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleNameEndingWith;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.onionArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The shape of the product, checked on every build: dependencies point inward, frameworks stay in
 * their adapters, projections carry no paths or secrets, and only the CLI and the app talk to the
 * terminal. Production classes only: test classes and test-jars are left out.
 */
@AnalyzeClasses(packages = "dev.companion",
        importOptions = {ImportOption.DoNotIncludeTests.class, DoNotIncludeTestJars.class})
class ArchitectureTest {

    private static final String CORE = "dev.companion.core..";
    private static final String RUNTIME = "dev.companion.runtime..";
    private static final String PROMPTS = "dev.companion.prompts..";
    private static final String ADAPTERS = "dev.companion.adapter..";
    private static final String STORES = "dev.companion.store..";
    private static final String CLI = "dev.companion.adapter.cli..";
    private static final String HTTP = "dev.companion.adapter.http..";
    private static final String LLM = "dev.companion.adapter.llm..";
    private static final String APP = "dev.companion.app..";
    private static final String JOURNAL = "dev.companion.store.journal..";
    private static final String POSTGRES = "dev.companion.store.postgres..";

    @ArchTest
    static final ArchRule classes_live_in_the_designed_packages = classes()
            .should().resideInAnyPackage(CORE, RUNTIME, PROMPTS, ADAPTERS, STORES, APP)
            .because("the rules below name these packages; a class elsewhere (say dev.companion.llm instead of "
                    + "dev.companion.adapter.llm) would silently escape them");

    @ArchTest
    static final ArchRule core_depends_only_on_the_jdk = classes()
            .that().resideInAPackage(CORE)
            .should().onlyDependOnClassesThat().resideInAnyPackage(CORE, "java..")
            .because("the core is the contract every adapter implements; a framework or library in it would "
                    + "leak into every module that uses it");

    @ArchTest
    static final ArchRule runtime_depends_only_on_the_core = classes()
            .that().resideInAPackage(RUNTIME)
            .should().onlyDependOnClassesThat().resideInAnyPackage(RUNTIME, CORE, "java..")
            .because("the runtime is embedded in host applications and must bring no framework with it");

    @ArchTest
    static final ArchRule prompts_depend_only_on_the_core = classes()
            .that().resideInAPackage(PROMPTS)
            .should().onlyDependOnClassesThat().resideInAnyPackage(PROMPTS, CORE, "java..")
            .because("the prompt catalogue is resources behind a core port, nothing more");

    @ArchTest
    static final ArchRule the_journal_store_depends_only_on_the_core = classes()
            .that().resideInAPackage(JOURNAL)
            .should().onlyDependOnClassesThat().resideInAnyPackage(JOURNAL, CORE, "java..")
            .because("the journal is the core's storage ports over plain files: the runtime, the other adapters "
                    + "and the app must be able to leave it out or swap it");

    @ArchTest
    static final ArchRule the_postgres_store_depends_only_on_the_core_and_its_database_libraries = classes()
            .that().resideInAPackage(POSTGRES)
            .should().onlyDependOnClassesThat().resideInAnyPackage(POSTGRES, CORE, "java..", "javax.sql..",
                    "org.postgresql..", "com.zaxxer.hikari..", "org.flywaydb..")
            .because("a store is the core's TranscriptStore and ConversationCatalog over one storage engine; "
                    + "the runtime, the adapters and other stores stay out of it");

    @ArchTest
    static final ArchRule stores_depend_only_on_the_core = classes()
            .that().resideInAPackage(STORES)
            .should().onlyDependOnClassesThat().resideInAnyPackage(STORES, CORE, "java..", "javax.sql..",
                    "org.postgresql..", "com.zaxxer.hikari..", "org.flywaydb..")
            .because("every store, the ones to come included, is the core's storage ports over one storage "
                    + "engine: never the runtime, an adapter or the app");

    @ArchTest
    static final ArchRule stores_do_not_depend_on_each_other = slices()
            .matching("dev.companion.store.(*)..")
            .should().notDependOnEachOther()
            .allowEmptyShould(true)
            .because("each store is chosen on its own by the composition root, and passes the core's contracts alone");

    @ArchTest
    static final ArchRule adapters_do_not_depend_on_stores = noClasses()
            .that().resideInAPackage(ADAPTERS)
            .should().dependOnClassesThat().resideInAPackage(STORES)
            .because("adapters reach the transcript through the core's ports; only the app picks a store");

    @ArchTest
    static final ArchRule adapters_do_not_depend_on_each_other = slices()
            .matching("dev.companion.adapter.(*)..")
            .should().notDependOnEachOther()
            .allowEmptyShould(true)
            .because("adapters meet only through the core's ports, so each can be replaced or left out "
                    + "(the CLI reaches a server through a Launcher the app wires, not through adapter-http)");

    @ArchTest
    static final ArchRule nothing_depends_on_the_composition_root = noClasses()
            .that().resideOutsideOfPackage(APP)
            .should().dependOnClassesThat().resideInAPackage(APP)
            .because("the composition root wires everything with new; anything depending on it would "
                    + "depend on every module at once");

    @ArchTest
    static final ArchRule dependencies_point_inward = onionArchitecture()
            .domainModels("dev.companion.core.model..", "dev.companion.core.event..")
            .domainServices("dev.companion.core", "dev.companion.core.port..")
            .applicationServices(RUNTIME)
            .adapter("prompts", PROMPTS)
            .adapter("cli", CLI)
            .adapter("http", HTTP)
            .adapter("llm", LLM)
            .adapter("stores", STORES)
            .withOptionalLayers(true)
            // The composition root is outside the rings on purpose: it news up every ring.
            .ignoreDependency(resideInAPackage(APP), alwaysTrue())
            .because("the rings of the design: domain, ports, runtime, adapters, each depending only inward");

    @ArchTest
    static final ArchRule each_adapter_exposes_one_public_entry_type = classes()
            .that().resideInAPackage("dev.companion.adapter..").and().arePublic().and().areTopLevelClasses()
            .should().haveFullyQualifiedName("dev.companion.adapter.http.CompanionHttpServer")
            .orShould().haveFullyQualifiedName("dev.companion.adapter.llm.LanguageModels")
            .orShould().haveFullyQualifiedName("dev.companion.adapter.cli.CompanionCommandLine")
            .because("an adapter is used through one entry type; everything else stays package-private, "
                    + "so its internals can change without breaking the composition root");

    @ArchTest
    static final ArchRule each_store_exposes_one_public_entry_type_and_its_failures = classes()
            .that().resideInAPackage(STORES).and().arePublic().and().areTopLevelClasses()
            .should().haveFullyQualifiedName("dev.companion.store.journal.JournalConversationCatalog")
            .orShould().haveFullyQualifiedName("dev.companion.store.postgres.PostgresConversationCatalog")
            .orShould().beAssignableTo(dev.companion.core.port.StorageException.class)
            .because("the app opens a store through one entry type; the typed failures it throws (a locked data "
                    + "directory, a damaged journal) are public so a host can tell them apart, the rest is internal");

    @ArchTest
    static final ArchRule undertow_stays_in_the_http_adapter = noClasses()
            .that().resideOutsideOfPackage(HTTP)
            .should().dependOnClassesThat().resideInAPackage("io.undertow..")
            .because("Undertow is one way to serve HTTP; nobody else should have to change if it is replaced");

    @ArchTest
    static final ArchRule picocli_stays_in_the_cli_adapter = noClasses()
            .that().resideOutsideOfPackage(CLI)
            .should().dependOnClassesThat().resideInAPackage("picocli..")
            .because("the app runs the CLI through CompanionCommandLine.run and needs no picocli type");

    @ArchTest
    static final ArchRule jackson_stays_in_the_json_adapters = noClasses()
            .that().resideOutsideOfPackages(HTTP, LLM)
            .should().dependOnClassesThat().resideInAPackage("com.fasterxml.jackson..")
            .because("JSON wire formats are the business of the HTTP and provider adapters; the core and "
                    + "the CLI stay free of a JSON library");

    /**
     * Types that leave the process: the core's projections and events (what status, transcript and
     * the event stream are made of), the driving ports' results, and the JSON shapes of adapters.
     */
    private static final DescribedPredicate<JavaClass> LEAVE_THE_PROCESS =
            resideInAnyPackage("dev.companion.core.model..", "dev.companion.core.event..")
                    .or(resideInAPackage("dev.companion.core").and(simpleNameEndingWith("Result")))
                    .or(resideInAPackage(ADAPTERS).and(simpleNameEndingWith("Json")))
                    .as("types that leave the process (core projections, events, results, adapter *Json types)");

    @ArchTest
    static final ArchRule projections_carry_no_file_system_paths = noClasses()
            .that(LEAVE_THE_PROCESS)
            .should().dependOnClassesThat().belongToAnyOf(Path.class, File.class)
            .because("a path in a response tells a caller about the server's disk; projections are made "
                    + "for the outside on purpose");

    @ArchTest
    static final ArchRule projections_have_no_member_named_like_a_secret = classes()
            .that(LEAVE_THE_PROCESS)
            .should(haveNoMemberNamedLikeASecret())
            .because("credentials, runtime tokens and socket or session paths must never be part of what "
                    + "a browser, a script or a log receives");

    @ArchTest
    static final ArchRule packages_are_free_of_cycles = slices()
            .matching("dev.companion.(**)")
            .should().beFreeOfCycles()
            .because("a cycle makes two packages one in all but name, and the rings above meaningless");

    @ArchTest
    static final ArchRule only_the_cli_and_the_app_touch_standard_streams = noClasses()
            .that().resideOutsideOfPackages(CLI, APP)
            .should().accessField(System.class, "out")
            .orShould().accessField(System.class, "err")
            .orShould().accessField(System.class, "in")
            .orShould().callMethodWhere(DescribedPredicate.describe("printStackTrace() on any Throwable",
                    (JavaMethodCall call) -> call.getTarget().getName().equals("printStackTrace")
                            && call.getTargetOwner().isAssignableTo(Throwable.class)))
            .because("a library writing to the terminal corrupts a host's output (and `companion send --json`); "
                    + "the rest of the product reports through return values, diagnostics and logging");

    static final Pattern SECRET_LIKE =
            Pattern.compile("(?i).*(secret|token|password|credential|api.?key|socket.?path|session.?path).*");

    /**
     * A count of a model's tokens ({@code inputTokens}, {@code totalTokens}) is a number, not a
     * credential: a plural "tokens" name holding a long or an int.
     */
    static boolean isTokenCount(JavaMember member) {
        if (!member.getName().toLowerCase(java.util.Locale.ROOT).endsWith("tokens")) {
            return false;
        }
        com.tngtech.archunit.core.domain.JavaClass type = member instanceof com.tngtech.archunit.core.domain.JavaField field
                ? field.getRawType()
                : member instanceof com.tngtech.archunit.core.domain.JavaMethod method ? method.getRawReturnType() : null;
        return type != null && (type.isEquivalentTo(long.class) || type.isEquivalentTo(int.class));
    }

    static ArchCondition<JavaClass> haveNoMemberNamedLikeASecret() {
        return new ArchCondition<>("have no field, record component or method named like a secret") {
            @Override
            public void check(JavaClass type, ConditionEvents events) {
                // An enum constant is a name, not a value carried out (PROVIDER_FIRST_TOKEN_TIMEOUT says
                // which timer fired), so constants of the enum itself are not members that could leak.
                Stream.<JavaMember>concat(type.getFields().stream()
                                .filter(field -> !(type.isEnum() && field.getRawType().equals(type))),
                                type.getMethods().stream())
                        .filter(member -> SECRET_LIKE.matcher(member.getName()).matches())
                        .filter(member -> !isTokenCount(member))
                        .forEach(member -> events.add(SimpleConditionEvent.violated(member,
                                member.getFullName() + " is named like a secret")));
            }
        };
    }
}
