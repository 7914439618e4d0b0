package dev.scaleblocks.examples;

import dev.scaleblocks.cache.servlet.ConditionalRequestFilter;
import dev.scaleblocks.core.servlet.CorrelationFilter;
import dev.scaleblocks.core.servlet.ServletRequestView;
import dev.scaleblocks.ratelimit.servlet.RateLimitFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The demo API in Jetty 12 (Jakarta Servlet 6): the blocks are servlet filters in front of one
 * servlet. A bounded thread pool serves the blocking database calls.
 */
final class JettyServer implements AutoCloseable {

  private final Server server;
  private final ServerConnector connector;

  JettyServer(DemoServices services, DemoApi api) throws Exception {
    QueuedThreadPool threads = new QueuedThreadPool(64, 4);
    threads.setName("demo-jetty");
    server = new Server(threads);
    connector = new ServerConnector(server);
    connector.setHost(services.config().host());
    connector.setPort(services.config().jettyPort());
    server.addConnector(connector);

    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    EnumSet<DispatcherType> request = EnumSet.of(DispatcherType.REQUEST);
    // first: correlation ids and the request timer, so even rejected requests are logged and timed
    context.addFilter(new FilterHolder(new CorrelationFilter(services.correlation())), "/*", request);
    // then the per-client-IP limit: RateLimit headers on every response, 429 past the quota
    context.addFilter(new FilterHolder(new RateLimitFilter(services.rateLimit())), "/*", request);
    // then conditional requests: 304 from the cached entry's version without rendering the body
    context.addFilter(new FilterHolder(new ConditionalRequestFilter(services.caching())), "/*", request);
    context.addServlet(new ServletHolder("api", new ApiServlet(api)), "/*");
    server.setHandler(context);
    server.start();
  }

  int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("stopping Jetty failed", e);
    }
  }

  /** Hands every request to {@link DemoApi}. */
  static final class ApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient DemoApi api;

    ApiServlet(DemoApi api) {
      this.api = api;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      DemoApi.Reply reply = api.handle(ServletRequestView.of(req), req.getQueryString());
      resp.setStatus(reply.status());
      reply.headers().forEach(resp::setHeader);
      if (reply.status() != 304) {
        resp.setContentLength(reply.body().length);
        if (!req.getMethod().equals("HEAD")) {
          resp.getOutputStream().write(reply.body());
        }
      }
    }
  }
}
