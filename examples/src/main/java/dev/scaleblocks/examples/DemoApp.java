package dev.scaleblocks.examples;

/**
 * One demo instance: the shared services and both servers. {@link #start} returns once both
 * listen; {@link #close} stops them and releases the pools. Thread-safe.
 */
public final class DemoApp implements AutoCloseable {

  private final DemoServices services;
  private final JettyServer jetty;
  private final NettyServer netty;

  private DemoApp(DemoServices services, JettyServer jetty, NettyServer netty) {
    this.services = services;
    this.jetty = jetty;
    this.netty = netty;
  }

  /** Starts an instance with {@code config}; ports 0 pick free ones. */
  public static DemoApp start(DemoConfig config) throws Exception {
    DemoServices services = new DemoServices(config);
    DemoApi api = new DemoApi(services);
    JettyServer jetty = null;
    try {
      jetty = new JettyServer(services, api);
      NettyServer netty = new NettyServer(services, api);
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
    try {
      netty.close();
    } finally {
      try {
        jetty.close();
      } finally {
        services.close();
      }
    }
  }
}
