package dev.scaleblocks.examples;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the demo: {@code java -jar examples/target/demo.jar [--help=true] [--name=value ...]}.
 * Stops on Ctrl-C (or SIGTERM) and logs the clean shutdown; a taken port ends it at once with one
 * line naming the port and the flag that moves it (exit status 1).
 */
public final class Demo {

  private static final Logger LOG = LoggerFactory.getLogger(Demo.class);

  private Demo() {}

  public static void main(String[] args) throws Exception {
    if (List.of(args).contains("--help") || List.of(args).contains("--help=true") || List.of(args).contains("-h")) {
      System.out.println(DemoConfig.usage());
      return;
    }
    DemoConfig config;
    try {
      config = DemoConfig.from(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("demo: " + e.getMessage());
      System.err.println(DemoConfig.usage());
      System.exit(2);
      return;
    }
    DemoApp app;
    try {
      app = DemoApp.start(config);
    } catch (DemoApp.PortInUseException e) {
      System.err.println("demo: " + e.getMessage());
      System.exit(1);
      return;
    } catch (Exception e) {
      LOG.error("the demo did not start", e);
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    LOG.info("demo {} stopping (Ctrl-C or SIGTERM): servers, then cache, limiter, pools, Redis",
                        config.instance());
                    app.close();
                  } catch (Exception e) {
                    LOG.warn("stopping the demo failed", e);
                  } finally {
                    stopped.countDown();
                  }
                },
                "demo-shutdown"));
    String host = config.host();
    LOG.info(
        "demo {} ready: Jetty http://{}:{}/products/1  Netty http://{}:{}/products/1  (/health, /metrics)"
            + "; {} shards ({}), cache {}, limit {} requests per {} s per client IP{}, shared by both servers."
            + " Ctrl-C stops it",
        config.instance(), host, app.jettyPort(), host, app.nettyPort(), config.shardCount(),
        config.databaseUrls().isEmpty() ? "in-memory H2" : "PostgreSQL",
        config.redisUrl() == null ? "L1 only" : "L1 + Redis L2",
        config.limit(), config.limitWindowSeconds(),
        config.redisUrl() == null ? " (local)" : " (global, in Redis)");
    stopped.await();
  }
}
