package dev.scaleblocks.examples;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One demo instance: the shared services and both servers. {@link #start} returns once both
 * listen; {@link #close} stops the servers, then closes the cache and the limiter, drains and closes
 * the shard pools and closes the Redis client, and logs that it did. Thread-safe.
 */
public final class DemoApp implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DemoApp.class);

  private final DemoServices services;
  private final JettyServer jetty;
  private final NettyServer netty;

  private DemoApp(DemoServices services, JettyServer jetty, NettyServer netty) {
    this.services = services;
    this.jetty = jetty;
    this.netty = netty;
  }

  /**
   * Starts an instance with {@code config}; ports 0 pick free ones.
   *
   * @throws PortInUseException when the Jetty or Netty port is taken (checked before anything
   *     else starts, so a second demo on the same ports fails at once and touches no database)
   */
  public static DemoApp start(DemoConfig config) throws Exception {
    checkFree(config, config.jettyPort(), "Jetty", "jetty-port");
    checkFree(config, config.nettyPort(), "Netty", "netty-port");
    DemoServices services = new DemoServices(config);
    DemoApi api = new DemoApi(services);
    JettyServer jetty = null;
    try {
      try {
        jetty = new JettyServer(services, api);
      } catch (Exception e) {
        throw bindFailure(e, config, config.jettyPort(), "Jetty", "jetty-port");
      }
      NettyServer netty;
      try {
        netty = new NettyServer(services, api);
      } catch (Exception e) {
        throw bindFailure(e, config, config.nettyPort(), "Netty", "netty-port");
      }
      return new DemoApp(services, jetty, netty);
    } catch (Exception | Error e) {
      if (jetty != null) {
        jetty.close();
      }
      services.close();
      throw e;
    }
  }

  public int jettyPort() {
    return jetty.port();
  }

  public int nettyPort() {
    return netty.port();
  }

  public DemoConfig config() {
    return services.config();
  }

  @Override
  public void close() {
    long start = System.nanoTime();
    DemoConfig config = services.config();
    int jettyPort = jetty.port();
    int nettyPort = netty.port();
    try {
      netty.close();
    } finally {
      try {
        jetty.close();
      } finally {
        services.close();
      }
    }
    LOG.info(
        "demo {} stopped in {} ms: Jetty (:{}) and Netty (:{}) closed, rate limiter and product cache closed,"
            + " {} shard pools drained and closed{}",
        config.instance(), (System.nanoTime() - start) / 1_000_000, jettyPort, nettyPort,
        config.shardCount(), config.redisUrl() == null ? "" : ", Redis client closed");
  }

  /**
   * A port of the demo is taken (most often: another demo is running). The message names the port
   * and the flag and the environment variable that move it.
   */
  public static final class PortInUseException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    PortInUseException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static void checkFree(DemoConfig config, int port, String server, String flag) {
    if (port == 0) {
      return;
    }
    try (ServerSocket probe = new ServerSocket()) {
      probe.bind(new InetSocketAddress(InetAddress.getByName(config.host()), port));
    } catch (BindException e) {
      throw portInUse(config, port, server, flag, e);
    } catch (IOException e) {
      // not a taken port (e.g. an unknown host): the server's own start reports it
    }
  }

  private static Exception bindFailure(Exception e, DemoConfig config, int port, String server, String flag) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException bind) {
        return portInUse(config, port, server, flag, bind);
      }
    }
    return e;
  }

  private static PortInUseException portInUse(
      DemoConfig config, int port, String server, String flag, BindException cause) {
    String variable = flag.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
    return new PortInUseException(
        "port " + port + " (" + server + ") on " + config.host() + " is already in use; is another demo"
            + " running? Stop it with Ctrl-C, or move this one with --" + flag + "=PORT or " + variable
            + "=PORT (0 picks a free port)",
        cause);
  }
}
