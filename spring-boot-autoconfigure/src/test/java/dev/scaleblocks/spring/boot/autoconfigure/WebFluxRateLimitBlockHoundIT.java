package dev.scaleblocks.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.spring.boot.autoconfigure.ratelimit.RateLimitWebFilter;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.reactor.netty.NettyWebServer;
import org.springframework.boot.web.server.reactive.context.ReactiveWebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Two WebFlux applications on Reactor Netty (random ports) sharing one limit in the real Redis
 * through the Lettuce client of Spring Data Redis, configured by properties only, while BlockHound
 * (see {@link BlockingCalls}) watches every event-loop thread of the JVM: the server's, where
 * {@link RateLimitWebFilter} asks for the decision, and Lettuce's, where the decision completes and
 * the rest of the chain runs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebFluxRateLimitBlockHoundIT {

  private static final HttpClient http = HttpClient.newHttpClient();

  private final String prefix = "sb-webflux-it:" + UUID.randomUUID() + ":";
  private List<String> blockingCalls = List.of();
  private ConfigurableApplicationContext a;
  private ConfigurableApplicationContext b;

  @BeforeAll
  void start() {
    blockingCalls = BlockingCalls.install();
    a = start("a");
    b = start("b");
  }

  @AfterAll
  void stop() {
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
  }

  private ConfigurableApplicationContext start(String name) {
    InetSocketAddress redis = TestServices.redis();
    return new SpringApplicationBuilder(App.class).properties(
        "spring.application.name=" + name,
        "spring.main.web-application-type=reactive",
        // Tomcat is on the test class path too (for the servlet ITs): serve on Reactor Netty
        "spring.autoconfigure.exclude="
            + "org.springframework.boot.tomcat.autoconfigure.reactive.TomcatReactiveWebServerAutoConfiguration",
        "server.port=0",
        "spring.data.redis.host=" + redis.getHostString(),
        "spring.data.redis.port=" + redis.getPort(),
        "scaleblocks.cache.enabled=false",
        "scaleblocks.ratelimit.policies.api.limits[0].quota=3",
        "scaleblocks.ratelimit.policies.api.limits[0].period=1h",
        "scaleblocks.ratelimit.policies.api.store=redis",
        "scaleblocks.ratelimit.policies.api.key-prefix=" + prefix + "rl:",
        "scaleblocks.ratelimit.routes[0].path=/api/**",
        "scaleblocks.ratelimit.routes[0].policies=api")
        .run();
  }

  private static HttpResponse<String> get(ConfigurableApplicationContext ctx, String path)
      throws Exception {
    String port = ctx.getEnvironment().getProperty("local.server.port");
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(1)
  void theApplicationsServeOnReactorNettyWithTheWebFilterAndNoBlockingCallAtStartup() {
    for (ConfigurableApplicationContext ctx : List.of(a, b)) {
      assertThat(((ReactiveWebServerApplicationContext) ctx).getWebServer())
          .isInstanceOf(NettyWebServer.class);
      assertThat(ctx.getBeansOfType(RateLimitWebFilter.class)).hasSize(1);
    }
    assertThat(blockingCalls).as("blocking calls on non-blocking threads at startup").isEmpty();
  }

  @Test
  @Order(2) // the first requests on the route
  void aRouteIsLimitedAcrossBothApplicationsThroughRedisWithoutBlockingAnEventLoop()
      throws Exception {
    Ping pingA = a.getBean(Ping.class);
    HttpResponse<String> first = get(a, "/api/ping");
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).isEqualTo("pong");
    assertThat(first.headers().firstValue("RateLimit-Policy"))
        .hasValueSatisfying(v -> assertThat(v).contains("\"api\"", "q=3", "w=3600"));
    assertThat(first.headers().firstValue("RateLimit"))
        .hasValueSatisfying(v -> assertThat(v).contains("\"api\"", "r=2"));
    HttpResponse<String> second = get(b, "/api/ping");
    assertThat(second.statusCode()).as("the other application, the same Redis").isEqualTo(200);
    assertThat(second.headers().firstValue("RateLimit"))
        .hasValueSatisfying(v -> assertThat(v).contains("r=1"));
    assertThat(get(a, "/api/ping").statusCode()).isEqualTo(200);
    HttpResponse<String> rejected = get(b, "/api/ping");
    assertThat(rejected.statusCode()).isEqualTo(429);
    assertThat(rejected.headers().firstValue("Retry-After"))
        .hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());
    assertThat(rejected.headers().firstValue("RateLimit"))
        .hasValueSatisfying(v -> assertThat(v).contains("r=0"));
    assertThat(rejected.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    assertThat(get(a, "/api/ping").statusCode()).as("and on the first too").isEqualTo(429);
    HttpResponse<String> other = get(a, "/other");
    assertThat(other.statusCode()).as("not on a route").isEqualTo(200);
    assertThat(other.headers().firstValue("RateLimit")).isEmpty();
    System.out.println("controller threads after a decision: " + pingA.threads);
    assertThat(blockingCalls).as("blocking calls on non-blocking threads").isEmpty();
  }

  @Test
  @Order(3)
  void theCheckCatchesABlockingCallOnTheServersEventLoop() throws Exception {
    // not vacuous: a task that sleeps on one of the server's event loops (Reactor Netty's global
    // resources, which Boot's server uses) is recorded
    EventLoopGroup server = reactor.netty.http.HttpResources.get().onServer(false);
    server.next().submit(() -> {
      Thread.sleep(1);
      return null;
    }).get(10, TimeUnit.SECONDS);
    assertThat(blockingCalls).isNotEmpty()
        .allMatch(c -> c.contains("Thread.sleep") && c.contains("reactor-http-"));
    blockingCalls.clear();
  }

  @Test
  @Order(4)
  void theCheckCoversLettucesIoThreads() throws Exception {
    // the decision completes, and the chain goes on, on the I/O threads of Boot's Lettuce client
    // resources: a task that sleeps on one of them is recorded too
    EventLoopGroupProvider loops = a.getBean(ClientResources.class).eventLoopGroupProvider();
    EventLoopGroup group = loops.allocate(Transports.eventLoopGroupClass());
    try {
      group.next().submit(() -> {
        Thread.sleep(1);
        return null;
      }).get(10, TimeUnit.SECONDS);
    } finally {
      loops.release(group, 0, 1, TimeUnit.SECONDS);
    }
    assertThat(blockingCalls).isNotEmpty()
        .allMatch(c -> c.contains("Thread.sleep") && c.contains(" on lettuce-"));
    blockingCalls.clear();
  }

  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  @Import(Ping.class)
  static class App {}

  @RestController
  public static class Ping {
    final List<String> threads = new CopyOnWriteArrayList<>();

    @GetMapping("/api/ping")
    public Mono<String> ping() {
      threads.add(Thread.currentThread().getName());
      return Mono.just("pong");
    }

    @GetMapping("/other")
    public Mono<String> other() {
      return Mono.just("other");
    }
  }
}
