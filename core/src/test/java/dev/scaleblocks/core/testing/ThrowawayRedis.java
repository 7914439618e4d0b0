package dev.scaleblocks.core.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} process of the test's own, on a free loopback port, that a fault test may
 * kill, pause or restart without hurting any other test. Not thread-safe: drive it from the test
 * thread.
 */
public final class ThrowawayRedis implements AutoCloseable {

  private final int port;
  private final Path dir;
  private final List<String> extraArguments;
  private Process process;
  private boolean paused;

  private ThrowawayRedis(int port, Path dir, List<String> extraArguments) {
    this.port = port;
    this.dir = dir;
    this.extraArguments = extraArguments;
  }

  /** Starts a fresh server on a free port and waits until it answers PING. */
  public static ThrowawayRedis start() {
    return start(new String[0]);
  }

  /**
   * Starts a fresh server on a free port with {@code extraArguments} added to its command line
   * ({@code "--cluster-enabled", "yes"}, say) and waits until it answers PING.
   */
  public static ThrowawayRedis start(String... extraArguments) {
    try {
      ThrowawayRedis redis = new ThrowawayRedis(freePort(), Files.createTempDirectory("scaleblocks-redis"), List.of(extraArguments));
      redis.launch();
      return redis;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  public String host() {
    return "127.0.0.1";
  }

  /** Kills the server with SIGKILL: clients see connections reset and then refused. */
  public void kill() {
    if (paused) {
      resume();
    }
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Starts the server again on the same port, empty (it keeps nothing on disk). */
  public void restart() {
    if (process.isAlive()) {
      kill();
    }
    launch();
  }

  /** Freezes the server with SIGSTOP: connections stay open and calls hang (a slow Redis). */
  public void pause() {
    signal("STOP");
    paused = true;
  }

  /** Thaws a {@link #pause() paused} server. */
  public void resume() {
    signal("CONT");
    paused = false;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      kill();
    }
  }

  private void launch() {
    try {
      List<String> command = new java.util.ArrayList<>(List.of(
          "redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", "--dir", dir.toString(),
          "--protected-mode", "no"));
      command.addAll(extraArguments);
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("redis.log").toFile())
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start redis-server — is it installed? run scripts/services.sh up", e);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      if (ping()) {
        return;
      }
      if (!process.isAlive()) {
        break;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw new IllegalStateException("throw-away redis-server did not start on port " + port);
  }

  private boolean ping() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      socket.setSoTimeout(500);
      socket.getOutputStream().write("PING\r\n".getBytes(US_ASCII));
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[7];
      int n = in.read(buf);
      return n > 0 && new String(buf, 0, n, US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  private void signal(String signal) {
    try {
      // bash's built-in kill: a minimal Debian has bash but no procps (no /bin/kill)
      Process kill =
          new ProcessBuilder("bash", "-c", "kill -" + signal + " " + process.pid())
              .redirectErrorStream(true)
              .start();
      if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException(
            "kill -" + signal + " " + process.pid() + " failed: " + new String(kill.getInputStream().readAllBytes(), US_ASCII));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A currently free TCP port on loopback. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
