package dev.scaleblocks.core.netty;

import static dev.scaleblocks.core.internal.Checks.requireInRange;
import static dev.scaleblocks.core.internal.Checks.requireNonNull;
import static dev.scaleblocks.core.internal.Checks.requirePositive;
import static dev.scaleblocks.core.internal.Checks.requireUnset;

import dev.scaleblocks.core.http.RequestCorrelation;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The one supported way to put an HTTP/1.1 server pipeline together in Netty with the scaleblocks
 * handlers, safe to face the internet. Each channel gets, in this order:
 *
 * <ol>
 *   <li>{@value #IDLE}: an {@link IdleStateHandler} closing a connection on which nothing was read
 *       or written for {@link Builder#idleTimeout} (default 30 s, as Jetty);
 *   <li>{@value #BYTES}: the first half of the request deadline: a request must arrive whole
 *       within {@link Builder#requestTimeout} of its first byte (default 30 s), else 408 (header
 *       section late) or close (body late) — the slowloris defence that an idle timeout alone is
 *       not, since one byte every few seconds keeps a connection from being idle. It also
 *       watches the raw header section for obsolete line folding (a line starting with a space
 *       or tab), which the codec would silently unfold, and has such a request refused with 400;
 *   <li>{@value #CODEC}: {@link HttpServerCodec} with {@link #decoderConfig()}: request line at
 *       most {@link Builder#maxInitialLineLength} (default 8 KiB, 414 beyond), header section at
 *       most {@link Builder#maxHeaderSize} (default 8 KiB, 431 beyond), strict CRLF line parsing,
 *       RFC 9112 {@code Transfer-Encoding} rules, duplicate {@code Content-Length} refused, header
 *       validation on;
 *   <li>{@value #DEADLINE}: the second half of the request deadline;
 *   <li>{@value #KEEP_ALIVE}: connection persistence per RFC 9112 §9.3: HTTP/1.0 closes after
 *       each response unless the request asked for {@code keep-alive} and the response has a
 *       length (it then says {@code Connection: keep-alive}); {@code Connection: close} from
 *       either side, or a response whose end only a close can mark, closes after the response.
 *       Pipelined requests are passed on one at a time (the next once the response before it is
 *       written in full), so every later handler answers in request order;
 *   <li>{@value #GUARD}: refuses, with 400 / 414 / 431, a problem body and {@code Connection:
 *       close}, every request the codec failed to decode or that {@link MalformedRequests} finds
 *       malformed (HTTP/1.1 without exactly one {@code Host}, {@code Content-Length} with {@code
 *       Transfer-Encoding}, control characters, ...) — it never reaches a later handler;
 *   <li>{@value #CORRELATION}: a {@link CorrelationHandler}, when {@link Builder#correlation} is
 *       set;
 *   <li>{@value #SHED}: the handler of {@link Builder#loadShedding} (a concurrency limit), when
 *       set, so that work over what the service can hold is refused before anything else is spent
 *       on it;
 *   <li>{@value #RATE_LIMIT}: the handler of {@link Builder#rateLimit}, when set, so that a request
 *       over its quota is answered 429 before a {@code 100 Continue} invites its body;
 *   <li>{@value #EXPECT}: {@link HttpServerExpectContinueHandler}: {@code 100 Continue} for {@code
 *       Expect: 100-continue}, 417 for any other expectation;
 *   <li>{@value #ETAG}, then {@value #CONDITIONAL}: the handlers of {@link Builder#etagBody} and
 *       {@link Builder#conditional}, when set (the body-hash tagger nearer the codec, so that a
 *       version tag set by the conditional handler wins);
 *   <li>{@value #AGGREGATOR}: an {@link HttpObjectAggregator} of {@link Builder#aggregate} bytes
 *       (413 beyond), when set;
 *   <li>{@value #APPLICATION}: the handler of {@link Builder#application}.
 * </ol>
 *
 * <p>Every scaleblocks handler also refuses a malformed request on its own, so a hand-built
 * pipeline is not open to requests the codec marked as failed; this class adds the codec limits,
 * keep-alive, timeouts and {@code Expect} handling around them.
 *
 * <pre>{@code
 * SafeHttpServerPipeline http = SafeHttpServerPipeline.builder()
 *     .correlation(correlation)
 *     .rateLimit(() -> new RateLimitHandler(rateLimit))
 *     .conditional(() -> new ConditionalRequestHandler(caching))
 *     .aggregate(64 * 1024)
 *     .application(() -> new ApiHandler(api))
 *     .build();
 * new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
 *     .childHandler(http.initializer());
 * }</pre>
 *
 * <p>Immutable and thread-safe; {@link #configure} adds new handler instances to each channel
 * (the suppliers are called once per channel). Cost per request: the codec's own, plus one pass of
 * {@link MalformedRequests} over the header section and one scheduled timer.
 */
public final class SafeHttpServerPipeline {

  /** Handler names, in pipeline order. */
  public static final String IDLE = "scaleblocks-idle";
  public static final String BYTES = "scaleblocks-request-deadline-bytes";
  public static final String CODEC = "scaleblocks-codec";
  public static final String DEADLINE = "scaleblocks-request-deadline";
  public static final String KEEP_ALIVE = "scaleblocks-keep-alive";
  public static final String GUARD = "scaleblocks-guard";
  public static final String CORRELATION = "scaleblocks-correlation";
  public static final String SHED = "scaleblocks-load-shedding";
  public static final String RATE_LIMIT = "scaleblocks-rate-limit";
  public static final String EXPECT = "scaleblocks-expect-continue";
  public static final String ETAG = "scaleblocks-etag";
  public static final String CONDITIONAL = "scaleblocks-conditional";
  public static final String AGGREGATOR = "scaleblocks-aggregator";
  public static final String APPLICATION = "scaleblocks-application";

  static final int DEFAULT_LINE = 8 * 1024;
  static final int DEFAULT_HEADERS = 8 * 1024;
  static final int DEFAULT_CHUNK = 8 * 1024;
  static final Duration DEFAULT_IDLE = Duration.ofSeconds(30);
  static final Duration DEFAULT_REQUEST = Duration.ofSeconds(30);

  private static final Guard GUARD_HANDLER = new Guard();

  private final int maxInitialLineLength;
  private final int maxHeaderSize;
  private final int maxChunkSize;
  private final Duration idleTimeout;
  private final Duration requestTimeout;
  private final @Nullable RequestCorrelation correlation;
  private final @Nullable Supplier<? extends ChannelHandler> loadShedding;
  private final @Nullable Supplier<? extends ChannelHandler> rateLimit;
  private final @Nullable Supplier<? extends ChannelHandler> etagBody;
  private final @Nullable Supplier<? extends ChannelHandler> conditional;
  private final int aggregate;
  private final Supplier<? extends ChannelHandler> application;

  private SafeHttpServerPipeline(Builder b, Supplier<? extends ChannelHandler> application) {
    this.maxInitialLineLength = b.maxInitialLineLength == null ? DEFAULT_LINE : b.maxInitialLineLength;
    this.maxHeaderSize = b.maxHeaderSize == null ? DEFAULT_HEADERS : b.maxHeaderSize;
    this.maxChunkSize = b.maxChunkSize == null ? DEFAULT_CHUNK : b.maxChunkSize;
    this.idleTimeout = b.idleTimeout == null ? DEFAULT_IDLE : b.idleTimeout;
    this.requestTimeout = b.requestTimeout == null ? DEFAULT_REQUEST : b.requestTimeout;
    this.correlation = b.correlation;
    this.loadShedding = b.loadShedding;
    this.rateLimit = b.rateLimit;
    this.etagBody = b.etagBody;
    this.conditional = b.conditional;
    this.aggregate = b.aggregate == null ? 0 : b.aggregate;
    this.application = application;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The strict codec settings with the default limits: 8 KiB request line, 8 KiB header section,
   * 8 KiB chunks, strict line parsing, RFC 9112 transfer codings, no duplicate {@code
   * Content-Length}, header validation. A new object on each call.
   */
  public static HttpDecoderConfig decoderConfig() {
    return decoderConfig(DEFAULT_LINE, DEFAULT_HEADERS, DEFAULT_CHUNK);
  }

  private static HttpDecoderConfig decoderConfig(int line, int headers, int chunk) {
    return new HttpDecoderConfig()
        .setMaxInitialLineLength(line)
        .setMaxHeaderSize(headers)
        .setMaxChunkSize(chunk)
        .setValidateHeaders(true)
        .setAllowDuplicateContentLengths(false)
        .setStrictLineParsing(true)
        .setUseRfc9112TransferEncoding(true);
  }

  /** A channel initializer that calls {@link #configure} for each accepted channel. Sharable. */
  public ChannelInitializer<Channel> initializer() {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        configure(ch.pipeline());
      }
    };
  }

  /** Adds the handlers listed in the class comment, in order, at the end of {@code pipeline}. */
  public void configure(ChannelPipeline pipeline) {
    requireNonNull(pipeline, "pipeline");
    RequestDeadline deadline = new RequestDeadline(requestTimeout.toNanos());
    pipeline.addLast(IDLE, new IdleStateHandler(0, 0, idleTimeout.toNanos(), TimeUnit.NANOSECONDS));
    pipeline.addLast(BYTES, deadline.bytes());
    pipeline.addLast(CODEC, new HttpServerCodec(decoderConfig(maxInitialLineLength, maxHeaderSize, maxChunkSize)));
    pipeline.addLast(DEADLINE, deadline.messages());
    pipeline.addLast(KEEP_ALIVE, new KeepAlive());
    pipeline.addLast(GUARD, GUARD_HANDLER);
    if (correlation != null) {
      pipeline.addLast(CORRELATION, new CorrelationHandler(correlation));
    }
    add(pipeline, SHED, loadShedding);
    add(pipeline, RATE_LIMIT, rateLimit);
    pipeline.addLast(EXPECT, new HttpServerExpectContinueHandler());
    add(pipeline, ETAG, etagBody);
    add(pipeline, CONDITIONAL, conditional);
    if (aggregate > 0) {
      pipeline.addLast(AGGREGATOR, new HttpObjectAggregator(aggregate));
    }
    add(pipeline, APPLICATION, application);
  }

  private static void add(ChannelPipeline pipeline, String name, @Nullable Supplier<? extends ChannelHandler> supplier) {
    if (supplier != null) {
      pipeline.addLast(name, requireNonNull(supplier.get(), name + " handler"));
    }
  }

  /** Refuses malformed requests; stateless (its state is in channel attributes). */
  @ChannelHandler.Sharable
  private static final class Guard extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!MalformedRequests.refuse(ctx, msg)) {
        ctx.fireChannelRead(msg);
      }
    }
  }

  /**
   * Builds a {@link SafeHttpServerPipeline}. Each option may be set once; {@link #application} is
   * required. Not thread-safe.
   */
  public static final class Builder {
    private @Nullable Integer maxInitialLineLength;
    private @Nullable Integer maxHeaderSize;
    private @Nullable Integer maxChunkSize;
    private @Nullable Duration idleTimeout;
    private @Nullable Duration requestTimeout;
    private @Nullable RequestCorrelation correlation;
    private @Nullable Supplier<? extends ChannelHandler> loadShedding;
    private @Nullable Supplier<? extends ChannelHandler> rateLimit;
    private @Nullable Supplier<? extends ChannelHandler> etagBody;
    private @Nullable Supplier<? extends ChannelHandler> conditional;
    private @Nullable Integer aggregate;
    private @Nullable Supplier<? extends ChannelHandler> application;

    private Builder() {}

    /** Longest request line in bytes, 256..1 MiB; 8 KiB by default; longer → 414. */
    public Builder maxInitialLineLength(int bytes) {
      requireUnset(maxInitialLineLength != null, "maxInitialLineLength", maxInitialLineLength);
      this.maxInitialLineLength = (int) requireInRange(bytes, 256, 1 << 20, "maxInitialLineLength");
      return this;
    }

    /** Largest header section in bytes, 1 KiB..1 MiB; 8 KiB by default; larger → 431. */
    public Builder maxHeaderSize(int bytes) {
      requireUnset(maxHeaderSize != null, "maxHeaderSize", maxHeaderSize);
      this.maxHeaderSize = (int) requireInRange(bytes, 1024, 1 << 20, "maxHeaderSize");
      return this;
    }

    /** Largest body piece handed on at once, 256..16 MiB; 8 KiB by default. */
    public Builder maxChunkSize(int bytes) {
      requireUnset(maxChunkSize != null, "maxChunkSize", maxChunkSize);
      this.maxChunkSize = (int) requireInRange(bytes, 256, 1 << 24, "maxChunkSize");
      return this;
    }

    /** Closes a connection with no traffic either way for this long; 30 s by default. */
    public Builder idleTimeout(Duration timeout) {
      requireUnset(idleTimeout != null, "idleTimeout", idleTimeout);
      this.idleTimeout = requirePositive(timeout, "idleTimeout");
      return this;
    }

    /** A request must arrive whole within this long of its first byte; 30 s by default. */
    public Builder requestTimeout(Duration timeout) {
      requireUnset(requestTimeout != null, "requestTimeout", requestTimeout);
      this.requestTimeout = requirePositive(timeout, "requestTimeout");
      return this;
    }

    /** Adds a {@link CorrelationHandler} over {@code correlation}. */
    public Builder correlation(RequestCorrelation correlation) {
      requireUnset(this.correlation != null, "correlation");
      this.correlation = requireNonNull(correlation, "correlation");
      return this;
    }

    /**
     * The load-shedding handler, one per channel (e.g. {@code () -> new
     * ConcurrencyLimitHandler(limit)}, with one shared {@code ConcurrencyLimit}); placed before the
     * rate limit. Optional.
     */
    public Builder loadShedding(Supplier<? extends ChannelHandler> handler) {
      requireUnset(loadShedding != null, "loadShedding");
      this.loadShedding = requireNonNull(handler, "loadShedding");
      return this;
    }

    /** The rate-limit handler (a new one per channel), e.g. {@code () -> new RateLimitHandler(rl)}. */
    public Builder rateLimit(Supplier<? extends ChannelHandler> handler) {
      requireUnset(rateLimit != null, "rateLimit");
      this.rateLimit = requireNonNull(handler, "rateLimit");
      return this;
    }

    /** The body-hash entity-tag handler (a new one per channel). */
    public Builder etagBody(Supplier<? extends ChannelHandler> handler) {
      requireUnset(etagBody != null, "etagBody");
      this.etagBody = requireNonNull(handler, "etagBody");
      return this;
    }

    /** The conditional-request handler (a new one per channel). */
    public Builder conditional(Supplier<? extends ChannelHandler> handler) {
      requireUnset(conditional != null, "conditional");
      this.conditional = requireNonNull(handler, "conditional");
      return this;
    }

    /** Aggregates each request into a {@code FullHttpRequest} of at most this many bytes (413 beyond). */
    public Builder aggregate(int maxContentLength) {
      requireUnset(aggregate != null, "aggregate", aggregate);
      this.aggregate = (int) requireInRange(maxContentLength, 1, Integer.MAX_VALUE, "aggregate");
      return this;
    }

    /** The application's handler (a new one per channel unless it is {@code @Sharable}). Required. */
    public Builder application(Supplier<? extends ChannelHandler> handler) {
      requireUnset(application != null, "application");
      this.application = requireNonNull(handler, "application");
      return this;
    }

    public SafeHttpServerPipeline build() {
      Supplier<? extends ChannelHandler> app = application;
      if (app == null) {
        throw new IllegalStateException("application must be set");
      }
      return new SafeHttpServerPipeline(this, app);
    }
  }
}
