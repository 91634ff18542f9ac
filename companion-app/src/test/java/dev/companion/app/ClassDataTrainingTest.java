package dev.companion.app;

import dev.companion.runtime.OfflineLanguageModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The launcher's training run, as the launcher runs it: its own JVM, which must end by itself with 0
 * (else no archive is written) and must by then have loaded what a first reply needs, for each kind
 * of model, so that the archive holds it.
 */
class ClassDataTrainingTest {

    @Test
    void the_training_run_answers_a_reply_of_every_kind_of_model_and_returns_0(@TempDir Path dir) throws Exception {
        Path output = dir.resolve("training.log");
        Process training = new ProcessBuilder(javaExecutable(), "-XX:TieredStopAtLevel=1", "-Xlog:class+load=info",
                "-cp", System.getProperty("java.class.path"), ClassDataTraining.class.getName())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            assertThat(training.waitFor(120, TimeUnit.SECONDS)).as("the training run ends by itself").isTrue();
        } finally {
            training.destroyForcibly();
        }
        String log = Files.readString(output, StandardCharsets.UTF_8);
        assertThat(training.exitValue()).as("exit status; output:%n%s", tail(log)).isZero();
        List<String> loaded = log.lines().filter(line -> line.contains("[class,load]"))
                .map(line -> line.replaceFirst(".*\\[class,load\\] (\\S+).*", "$1")).toList();
        assertThat(loaded).contains(
                "dev.companion.adapter.llm.OpenAiCompatibleLanguageModel",
                "dev.companion.adapter.llm.AnthropicLanguageModel",
                OfflineLanguageModel.class.getName(),
                "dev.companion.adapter.llm.SseReader",
                "dev.companion.adapter.http.EventStream$Connection",
                "dev.companion.adapter.http.EventStream$SharedFrame");
    }

    private static String tail(String log) {
        List<String> lines = log.lines().filter(line -> !line.contains("[class,load]")).toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
