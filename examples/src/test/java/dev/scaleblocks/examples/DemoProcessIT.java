package dev.scaleblocks.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The demo as a user runs it: {@code java -jar examples/target/demo.jar} in a process of its own.
 * A second demo on a taken port says so in one line naming the port and the flag and variable that
 * move it; Ctrl-C (SIGINT) or SIGTERM stops it with a log line saying what was closed.
 */
class DemoProcessIT {

  private static final Path JAR = Path.of("target", "demo.jar");

  @Test
  void aTakenPortEndsTheDemoWithOneLineNamingThePortAndTheFlag() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = taken.getLocalPort();
      Process demo = demo("--jetty-port=" + port, "--netty-port=0");
      List<String> lines = new ArrayList<>();
      CountDownLatch done = reader(demo, lines, null, null);
      assertThat(demo.waitFor(60, TimeUnit.SECONDS)).as("the demo exits").isTrue();
      done.await(10, TimeUnit.SECONDS);
      System.out.println("demo on a taken port, exit " + demo.exitValue() + ":\n" + String.join("\n", lines));
      assertThat(demo.exitValue()).isEqualTo(1);
      assertThat(lines).as("one line").hasSize(1);
      assertThat(lines.get(0))
          .contains("port " + port + " (Jetty)")
          .contains("already in use")
          .contains("--jetty-port=PORT", "JETTY_PORT=PORT");
    }
  }

  @Test
  void sigtermStopsTheDemoAndLogsWhatWasClosed() throws Exception {
    Process demo = demo("--jetty-port=0", "--netty-port=0", "--products=50");
    List<String> lines = new ArrayList<>();
    CountDownLatch ready = new CountDownLatch(1);
    CountDownLatch done = reader(demo, lines, "ready:", ready);
    try {
      assertThat(ready.await(60, TimeUnit.SECONDS)).as("the demo is ready: %s", lines).isTrue();
      long stopping = System.nanoTime();
      // SIGTERM, which runs the same shutdown hook as Ctrl-C (Process.destroy would also close the
      // pipe the output is read from)
      demo.toHandle().destroy();
      assertThat(demo.waitFor(30, TimeUnit.SECONDS)).as("the demo stops").isTrue();
      done.await(10, TimeUnit.SECONDS);
      System.out.printf("demo stopped %d ms after SIGTERM:%n%s%n",
          (System.nanoTime() - stopping) / 1_000_000, String.join("\n", lines));
      assertThat(String.join("\n", lines))
          .contains("stopping (Ctrl-C or SIGTERM)")
          .contains("stopped in")
          .contains("4 shard pools drained and closed")
          .doesNotContain("Exception");
    } finally {
      demo.destroyForcibly();
    }
  }

  private static Process demo(String... args) throws IOException {
    assertThat(JAR).as("built by the package phase").exists();
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.endsWith("_PORT") || k.equals("REDIS_URL") || k.startsWith("DATABASE_"));
    return builder.start();
  }

  private static CountDownLatch reader(Process process, List<String> lines, String marker, CountDownLatch seen) {
    CountDownLatch done = new CountDownLatch(1);
    Thread thread = new Thread(() -> {
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          synchronized (lines) {
            lines.add(line);
          }
          if (marker != null && line.contains(marker)) {
            seen.countDown();
          }
        }
      } catch (IOException e) {
        // the process ended
      } finally {
        done.countDown();
      }
    }, "demo-output");
    thread.setDaemon(true);
    thread.start();
    return done;
  }
}
