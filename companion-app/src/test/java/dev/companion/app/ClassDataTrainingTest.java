package dev.companion.app;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The launcher's training run serves, is answered on every route it asks, and stops by itself. */
class ClassDataTrainingTest {

    @Test
    void the_training_run_is_answered_and_returns() {
        assertThat(ClassDataTraining.run()).isTrue();
    }
}
