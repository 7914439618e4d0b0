package dev.scaleblocks.core.services;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.testing.TestServices;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code scripts/services.sh up} is idempotent: run again (the build already ran it once), it
 * changes nothing and leaves all five endpoints healthy.
 */
class ServicesScriptIT {

  private static final Path SCRIPT = Path.of("..", "scripts", "services.sh");

  @Test
  void upTwiceLeavesEveryEndpointHealthyAndStartsNothingTheSecondTime() throws Exception {
    assertThat(SCRIPT).exists();
    Result first = run("up");
    assertThat(first.exit).as(first.output).isZero();
    Result second = run("up");
    assertThat(second.exit).as(second.output).isZero();
    assertThat(second.output).as("nothing to start or create the second time")
        .doesNotContain("starting").doesNotContain("creating").doesNotContain("installing");

    Result status = run("status");
    assertThat(status.exit).as(status.output).isZero();
    assertThat(status.output.lines().filter(l -> l.endsWith(" ok") || l.contains(" ok (")))
        .hasSize(6); // redis, three cluster masters, primary, replica
    // and the addresses the tests use answer
    TestServices.redis();
    assertThat(TestServices.redisCluster()).hasSize(3);
    TestServices.postgresPrimary();
    TestServices.postgresReplica();
  }

  private record Result(int exit, String output) {}

  private static Result run(String verb) throws IOException, InterruptedException {
    Path log = Files.createTempFile("services", ".log");
    Process process = new ProcessBuilder("bash", SCRIPT.toString(), verb)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    assertThat(process.waitFor(5, TimeUnit.MINUTES)).as("services.sh " + verb + " finished").isTrue();
    String output = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    return new Result(process.exitValue(), output);
  }
}
