package dev.scaleblocks.examples;

import dev.scaleblocks.cache.TieredCache;
import dev.scaleblocks.cache.http.CacheControl;
import dev.scaleblocks.cache.http.CachePolicy;
import dev.scaleblocks.cache.http.HttpCaching;
import dev.scaleblocks.cache.http.ValidatorSource;
import dev.scaleblocks.cache.netty.ConditionalRequestHandler;
import dev.scaleblocks.cache.servlet.ConditionalRequestFilter;
import dev.scaleblocks.core.http.RequestCorrelation;
import dev.scaleblocks.core.http.RequestMatcher;
import dev.scaleblocks.core.netty.SafeHttpServerPipeline;
import dev.scaleblocks.core.servlet.CorrelationFilter;
import dev.scaleblocks.ratelimit.RateLimitPolicy;
import dev.scaleblocks.ratelimit.RateLimiter;
import dev.scaleblocks.ratelimit.http.HttpRateLimit;
import dev.scaleblocks.ratelimit.http.KeyResolver;
import dev.scaleblocks.ratelimit.netty.RateLimitHandler;
import dev.scaleblocks.ratelimit.servlet.RateLimitFilter;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * One route ({@code GET /item}, a 200-byte JSON body) served by Jetty or Netty, bare or behind the
 * blocks a service puts in front of it: request correlation, a local per-client-IP rate limit
 * (quota high enough that nothing is refused, so every request pays for a decision and its
 * headers) and conditional-request handling with the ETag of a cached entry. {@code
 * scripts/http-overhead.sh} loads each with wrk and compares throughput and p99 latency.
 *
 * <p>Usage: {@code HttpOverhead jetty|netty VARIANT PORT}; runs until killed. {@code VARIANT} is
 * {@code bare}, {@code blocks} (all three), or one block alone to measure it on its own: {@code
 * correlation}, {@code ratelimit} or {@code etag} (conditional requests from the cached entry).
 */
public final class HttpOverhead {

  private static final byte[] BODY = ("{\"id\":\"1\",\"name\":\"item one\",\"price\":1999,"
      + "\"currency\":\"EUR\",\"stock\":42,\"tags\":[\"a\",\"b\",\"c\"],\"description\":"
      + "\"a fixed body of about two hundred bytes so that the response is realistic\"}")
      .getBytes(StandardCharsets.UTF_8);

  private static final List<String> VARIANTS = List.of("bare", "blocks", "correlation", "ratelimit", "etag");

  private HttpOverhead() {}

  /** Which blocks a variant puts in front of the route. */
  private record Layers(boolean correlation, boolean rateLimit, boolean etag) {
    Layers(String variant) {
      this(variant.equals("blocks") || variant.equals("correlation"),
          variant.equals("blocks") || variant.equals("ratelimit"),
          variant.equals("blocks") || variant.equals("etag"));
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: HttpOverhead jetty|netty " + String.join("|", VARIANTS) + " PORT");
      System.exit(2);
    }
    if (!VARIANTS.contains(args[1])) {
      System.err.println("variant must be one of " + VARIANTS + " but was " + args[1]);
      System.exit(2);
    }
    Layers layers = new Layers(args[1]);
    int port = Integer.parseInt(args[2]);
    RequestCorrelation correlation = RequestCorrelation.builder().build();
    RateLimiter limiter = RateLimiter.builder(RateLimitPolicy.builder("per-ip")
        .limit(1_000_000_000L, Duration.ofSeconds(1)).build()).local().build();
    HttpRateLimit rateLimit = HttpRateLimit.builder()
        .route(RequestMatcher.path("/**"), limiter)
        .keyResolver(KeyResolver.clientIp())
        .build();
    TieredCache<String, String> cache = TieredCache.builder().name("http-overhead").maximumSize(100)
        .<String, String>build();
    cache.put("1", new String(BODY, StandardCharsets.UTF_8));
    HttpCaching caching = HttpCaching.builder()
        .route(RequestMatcher.path("/**"), CachePolicy.builder()
            .cacheControl(CacheControl.builder().noCache().build())
            .validators(ValidatorSource.fromCache(cache, request -> "1"))
            .build())
        .build();
    if (args[0].equals("jetty")) {
      jetty(port, layers, correlation, rateLimit, caching);
    } else {
      netty(port, layers, correlation, rateLimit, caching);
    }
    System.out.println("http-overhead: " + args[0] + " " + args[1] + " on " + port);
    Thread.currentThread().join();
  }

  private static void jetty(int port, Layers layers, RequestCorrelation correlation,
      HttpRateLimit rateLimit, HttpCaching caching) throws Exception {
    Server server = new Server(new QueuedThreadPool(64, 4));
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    EnumSet<DispatcherType> request = EnumSet.of(DispatcherType.REQUEST);
    if (layers.correlation()) {
      context.addFilter(new FilterHolder(new CorrelationFilter(correlation)), "/*", request);
    }
    if (layers.rateLimit()) {
      context.addFilter(new FilterHolder(new RateLimitFilter(rateLimit)), "/*", request);
    }
    if (layers.etag()) {
      context.addFilter(new FilterHolder(new ConditionalRequestFilter(caching)), "/*", request);
    }
    context.addServlet(new ServletHolder("item", new ItemServlet()), "/*");
    server.setHandler(context);
    server.start();
  }

  private static void netty(int port, Layers layers, RequestCorrelation correlation,
      HttpRateLimit rateLimit, HttpCaching caching) throws InterruptedException {
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    SafeHttpServerPipeline.Builder http = SafeHttpServerPipeline.builder();
    if (layers.correlation()) {
      http.correlation(correlation);
    }
    if (layers.rateLimit()) {
      http.rateLimit(() -> new RateLimitHandler(rateLimit));
    }
    if (layers.etag()) {
      http.conditional(() -> new ConditionalRequestHandler(caching));
    }
    SafeHttpServerPipeline pipeline = http.aggregate(64 * 1024).application(ItemHandler::new).build();
    new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
        .childHandler(pipeline.initializer()).bind("127.0.0.1", port).sync();
  }

  static final class ItemServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      resp.setStatus(200);
      resp.setContentType("application/json");
      resp.setContentLength(BODY.length);
      resp.getOutputStream().write(BODY);
    }
  }

  static final class ItemHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
          HttpResponseStatus.OK, Unpooled.wrappedBuffer(BODY));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
      HttpUtil.setContentLength(response, BODY.length);
      HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
      ctx.writeAndFlush(response);
    }
  }
}
