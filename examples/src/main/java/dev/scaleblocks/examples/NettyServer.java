package dev.scaleblocks.examples;

import dev.scaleblocks.cache.http.Conditionals;
import dev.scaleblocks.cache.http.HttpCaching;
import dev.scaleblocks.core.netty.NettyRequestView;
import dev.scaleblocks.core.netty.SafeHttpServerPipeline;
import dev.scaleblocks.ratelimit.netty.RateLimitHandler;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
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
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The demo API in Netty 4.2: the blocks are channel handlers on the event loop; the API call,
 * which may wait on a database, runs on a bounded worker pool so the event loop never blocks
 * (requests of one connection are answered in order; a full pool answers 503).
 */
final class NettyServer implements AutoCloseable {

  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ExecutorService blocking;
  private final Channel channel;

  NettyServer(DemoServices services, DemoApi api) throws InterruptedException {
    boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    AtomicInteger threadIds = new AtomicInteger();
    blocking =
        new ThreadPoolExecutor(
            32, 32, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024),
            r -> {
              Thread t = new Thread(r, "demo-netty-api-" + threadIds.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    // the library's safe pipeline: strict codec limits (414/431), malformed requests refused
    // before any handler runs, RFC 9112 keep-alive, idle and request deadlines (30 s, as Jetty),
    // Expect: 100-continue; then correlation, rate limit, aggregation and the API
    SafeHttpServerPipeline http =
        SafeHttpServerPipeline.builder()
            .correlation(services.correlation())
            .rateLimit(() -> new RateLimitHandler(services.rateLimit()))
            .aggregate(64 * 1024)
            .application(() -> new ApiHandler(api, services.caching(), blocking))
            .build();
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(NioServerSocketChannel.class)
            .childHandler(http.initializer());
    channel =
        bootstrap
            .bind(services.config().host(), services.config().nettyPort())
            .sync()
            .channel();
  }

  int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    blocking.shutdownNow();
  }

  /**
   * Hands every request to {@link DemoApi} on the worker pool; one instance per channel, its
   * {@code tail} touched only on the event loop.
   */
  static final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final DemoApi api;
    private final HttpCaching caching;
    private final ExecutorService workers;
    private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);

    ApiHandler(DemoApi api, HttpCaching caching, ExecutorService workers) {
      super(false);
      this.api = api;
      this.caching = caching;
      this.workers = workers;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      try {
        // a failed or rejected earlier request must not stall the ones behind it
        tail =
            tail.exceptionally(e -> null)
                .thenRunAsync(
                () -> {
                  try {
                    respond(ctx, request, keepAlive, handle(ctx, request));
                  } finally {
                    request.release();
                  }
                },
                workers);
      } catch (RejectedExecutionException e) {
        request.release();
        respond(ctx, request, false, DemoApi.problem(503, "server busy"));
      }
    }

    /**
     * Conditional requests are planned here, on the worker thread, rather than by the cache's
     * {@code ConditionalRequestHandler} on the event loop: with Redis, looking up validators on an
     * L1 miss is a Redis GET, which must not run on the event loop.
     */
    private DemoApi.Reply handle(ChannelHandlerContext ctx, FullHttpRequest request) {
      String uri = request.uri();
      int q = uri.indexOf('?');
      NettyRequestView view = NettyRequestView.of(request, ctx.channel());
      HttpCaching.Plan plan = caching.plan(view);
      if (plan != null && plan.result() == Conditionals.Result.PRECONDITION_FAILED) {
        return new DemoApi.Reply(412, new java.util.LinkedHashMap<>(), new byte[0]);
      }
      DemoApi.Reply reply =
          plan != null && plan.result() == Conditionals.Result.NOT_MODIFIED
              ? new DemoApi.Reply(304, new java.util.LinkedHashMap<>(), new byte[0])
              : api.handle(view, q >= 0 ? uri.substring(q + 1) : null);
      if (plan != null) {
        for (java.util.Map.Entry<String, String> h : plan.headers()) {
          reply.headers().putIfAbsent(h.getKey(), h.getValue());
        }
      }
      return reply;
    }

    private static void respond(
        ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive, DemoApi.Reply reply) {
      boolean bodyless = reply.status() == 304 || request.method().equals(HttpMethod.HEAD);
      FullHttpResponse response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1,
              HttpResponseStatus.valueOf(reply.status()),
              bodyless ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(reply.body()));
      reply.headers().forEach((name, value) -> response.headers().set(name, value));
      if (reply.status() != 304) {
        HttpUtil.setContentLength(response, reply.body().length);
      }
      HttpUtil.setKeepAlive(response, keepAlive);
      if (keepAlive) {
        ctx.writeAndFlush(response);
      } else {
        response.headers().set(HttpHeaderNames.CONNECTION, "close");
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
