package dev.companion.store.postgres;

import dev.companion.store.postgres.PostgresConversationCatalog.Password;
import dev.companion.store.postgres.PostgresConversationCatalog.Settings;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class SettingsTest {

    @Test
    void a_url_gives_host_port_database_and_user() {
        Settings settings = Settings.fromUrl("postgresql://db.internal:6543/companion?user=app");

        assertThat(settings.host()).isEqualTo("db.internal");
        assertThat(settings.port()).isEqualTo(6543);
        assertThat(settings.database()).isEqualTo("companion");
        assertThat(settings.user()).isEqualTo("app");
        assertThat(settings.password()).isEmpty();
        assertThat(settings.sslMode()).isEmpty();
        assertThat(settings.maximumPoolSize()).isEqualTo(Settings.DEFAULT_MAXIMUM_POOL_SIZE);
        assertThat(settings.connectTimeout()).isEqualTo(Settings.DEFAULT_CONNECT_TIMEOUT);
    }

    @Test
    void the_jdbc_and_postgres_forms_a_user_before_the_host_and_the_default_port_are_accepted() {
        assertThat(Settings.fromUrl("jdbc:postgresql://10.0.0.5/companion?user=app"))
                .isEqualTo(Settings.of("10.0.0.5", 5432, "companion", "app"));
        assertThat(Settings.fromUrl("postgres://app@db:5433/companion"))
                .isEqualTo(Settings.of("db", 5433, "companion", "app"));
        assertThat(Settings.fromUrl("postgresql://[::1]:5432/my%20db?user=app&sslmode=require"))
                .isEqualTo(Settings.of("[::1]", 5432, "my db", "app").withSslMode("require"));
    }

    @Test
    void without_a_user_the_operating_system_user_is_taken_as_libpq_does() {
        assertThat(Settings.fromUrl("postgresql://db/companion").user()).isEqualTo(System.getProperty("user.name"));
    }

    @Test
    void a_password_in_the_url_is_refused_without_repeating_it() {
        assertThatIllegalArgumentException().isThrownBy(() -> Settings.fromUrl("postgresql://app:hunter2@db/companion"))
                .withMessageContaining("password").withMessageNotContaining("hunter2");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Settings.fromUrl("postgresql://db/companion?user=app&password=hunter2"))
                .withMessageContaining("password").withMessageNotContaining("hunter2");
    }

    @Test
    void other_forms_are_refused_without_repeating_the_url() {
        for (String url : new String[] {"mysql://db/companion", "postgresql://db", "postgresql://db/", "postgresql:///companion",
                "postgresql://db/a/b", "not a url at all hunter2", "postgresql://db/companion?ssl=true",
                "postgresql://db/companion?user=app&sslmode=sometimes", "postgresql://db:99999/companion"}) {
            assertThatIllegalArgumentException().as(url).isThrownBy(() -> Settings.fromUrl(url))
                    .withMessageNotContaining("hunter2").withMessageNotContaining("mysql://");
        }
    }

    @Test
    void to_string_masks_the_password() {
        Settings settings = Settings.of("db", 5432, "companion", "app").withPassword(Password.of("hunter2"));

        assertThat(settings.toString()).doesNotContain("hunter2").contains("****").contains("host=db");
        assertThat(Password.of("hunter2")).hasToString("Password[****]");
    }

    @Test
    void a_password_file_gives_its_first_line() throws IOException {
        Path file = Files.writeString(Files.createTempFile("pg", ".secret"), "s3cret pass\r\nignored\n");
        try {
            assertThat(Password.fromFile(file).reveal()).isEqualTo("s3cret pass");
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void pool_size_and_connect_timeout_are_bounded() {
        Settings settings = Settings.of("db", 5432, "companion", "app");

        assertThat(settings.withMaximumPoolSize(3).withConnectTimeout(Duration.ofSeconds(1)))
                .extracting(Settings::maximumPoolSize, Settings::connectTimeout).containsExactly(3, Duration.ofSeconds(1));
        assertThatIllegalArgumentException().isThrownBy(() -> settings.withMaximumPoolSize(0));
        assertThatIllegalArgumentException().isThrownBy(() -> settings.withConnectTimeout(Duration.ofMillis(10)));
        assertThatIllegalArgumentException().isThrownBy(() -> Settings.of("db;drop", 5432, "companion", "app"));
        assertThat(settings.password()).isEqualTo(Optional.empty());
    }
}
