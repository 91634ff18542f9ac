package dev.companion.architecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;

/**
 * {@link ImportOption.DoNotIncludeTests} knows Maven's {@code test-classes} folders but not the
 * {@code *-tests.jar} test-jars (the core ships its port contract suites in one), whose fakes and
 * contracts would otherwise be judged as production code.
 */
public final class DoNotIncludeTestJars implements ImportOption {

    @Override
    public boolean includes(Location location) {
        return !location.contains("-tests.jar") && !location.contains("/test-classes/");
    }
}
