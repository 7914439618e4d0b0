package dev.scaleblocks.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.scaleblocks.core.testing.TestServices;
import dev.scaleblocks.pooling.ReadWriteDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cache.annotation.CachePut;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * Two Boot web applications on embedded Tomcat (random ports) sharing the real Redis and the real
 * PostgreSQL primary and replica, configured by properties only; run once per Redis client the
 * application may have ({@link StarterJedisIT}, {@link StarterLettuceIT}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class StarterContract {

  private final String prefix = "sb-it:" + UUID.randomUUID() + ":";
  private ConfigurableApplicationContext a;
  private ConfigurableApplicationContext b;
  private static final HttpClient http = HttpClient.newHttpClient();

  /** {@code jedis}: the application declares a {@code UnifiedJedis} bean; {@code lettuce}: only Spring Data Redis. */
  abstract String client();

  @BeforeAll
  void start() {
    a = start("a");
    b = start("b");
  }

  @Test
  void theBlocksUseTheApplicationsOwnRedisClient() {
    if (client().equals("lettuce")) {
      assertThat(a.getBeansOfType(UnifiedJedis.class)).isEmpty();
      assertThat(a.getBean(RedisClientSource.class).lettuce()).isNotNull();
    } else {
      assertThat(a.getBean(RedisClientSource.class).jedis()).isSameAs(a.getBean(UnifiedJedis.class));
    }
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
        "server.port=0",
        "it.client=" + client(),
        "it.redis=" + redis.getHostString() + ":" + redis.getPort(),
        "spring.data.redis.host=" + redis.getHostString(),
        "spring.data.redis.port=" + redis.getPort(),
        "spring.datasource.url=" + TestServices.postgresPrimaryUrl("postgres"),
        "spring.datasource.username=" + TestServices.postgresUser(),
        "scaleblocks.pooling.replicas[0].url=" + TestServices.postgresReplicaUrl("postgres"),
        "scaleblocks.pooling.health-check-interval=200ms",
        "scaleblocks.cache.key-prefix=" + prefix,
        "scaleblocks.cache.caches.books.value-type=java.lang.String",
        "scaleblocks.cache.caches.books.l1-ttl=10m",
        "scaleblocks.ratelimit.policies.api.limits[0].quota=3",
        "scaleblocks.ratelimit.policies.api.limits[0].period=1h",
        "scaleblocks.ratelimit.policies.api.store=redis",
        "scaleblocks.ratelimit.policies.api.key-prefix=" + prefix + "rl:",
        "scaleblocks.ratelimit.routes[0].path=/api/**",
        "scaleblocks.ratelimit.routes[0].policies=api",
        "scaleblocks.cache.http.routes[0].path=/pages/**",
        "scaleblocks.cache.http.routes[0].methods=GET",
        "scaleblocks.cache.http.routes[0].etag=true",
        "scaleblocks.cache.http.routes[0].cache-control.visibility=private",
        "scaleblocks.cache.http.routes[0].cache-control.max-age=60s",
        "scaleblocks.cache.http.routes[1].path=/versioned",
        "scaleblocks.cache.http.routes[1].validators=versionedValidators",
        "management.endpoints.web.exposure.include=health,metrics",
        "management.endpoint.health.show-details=always")
        .run();
  }

  private HttpResponse<String> get(ConfigurableApplicationContext ctx, String path) throws Exception {
    return get(ctx, path, null);
  }

  private HttpResponse<String> get(ConfigurableApplicationContext ctx, String path,
      @Nullable String ifNoneMatch) throws Exception {
    String port = ctx.getEnvironment().getProperty("local.server.port");
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (ifNoneMatch != null) {
      r.header("If-None-Match", ifNoneMatch);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void cacheableIsCoherentAcrossTwoApplications() {
    Books booksA = a.getBean(Books.class);
    Books booksB = b.getBean(Books.class);
    assertThat(booksA.find("1")).isEqualTo("title-1");
    assertThat(booksA.loads()).isEqualTo(1);
    assertThat(booksB.find("1")).as("an L2 hit on the other instance").isEqualTo("title-1");
    assertThat(booksB.loads()).isZero();
    booksA.rename("1", "renamed");
    await().atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(booksB.find("1")).isEqualTo("renamed"));
    assertThat(booksB.loads()).isZero();
  }

  @Test
  @Order(1) // the first requests on the route: the others spend its quota too
  void aRouteIsLimitedAcrossBothApplicationsWithTheIetfHeaders() throws Exception {
    HttpResponse<String> first = get(a, "/api/ping");
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.headers().firstValue("RateLimit-Policy")).hasValueSatisfying(v -> assertThat(v).contains("\"api\""));
    assertThat(first.headers().firstValue("RateLimit")).hasValueSatisfying(v -> assertThat(v).contains("r=2"));
    assertThat(get(b, "/api/ping").statusCode()).isEqualTo(200);
    assertThat(get(a, "/api/ping").statusCode()).isEqualTo(200);
    HttpResponse<String> rejected = get(b, "/api/ping");
    assertThat(rejected.statusCode()).isEqualTo(429);
    assertThat(rejected.headers().firstValue("Retry-After")).isPresent();
    assertThat(rejected.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    assertThat(get(a, "/other").statusCode()).as("not on a route").isEqualTo(200);
  }

  @Test
  void controllersGetEtagsAndConditionalRequestsFromProperties() throws Exception {
    HttpResponse<String> first = get(a, "/pages/1", null);
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.headers().firstValue("Cache-Control")).hasValue("private, max-age=60");
    String etag = first.headers().firstValue("ETag").orElseThrow();
    HttpResponse<String> again = get(a, "/pages/1", etag);
    assertThat(again.statusCode()).as("If-None-Match with the body's ETag").isEqualTo(304);
    assertThat(again.body()).isEmpty();
    assertThat(get(a, "/pages/2", etag).statusCode()).as("another body, another tag").isEqualTo(200);
    Ping ping = a.getBean(Ping.class);
    int before = ping.versionedCalls.get();
    HttpResponse<String> versioned = get(a, "/versioned", "\"v7\"");
    assertThat(versioned.statusCode()).isEqualTo(304);
    assertThat(ping.versionedCalls.get()).as("answered before the controller ran").isEqualTo(before);
    assertThat(get(a, "/versioned", "\"v6\"").statusCode()).isEqualTo(200);
    assertThat(ping.versionedCalls.get()).isEqualTo(before + 1);
  }

  @Test
  void readOnlyTransactionsReadFromTheReplica() {
    assertThat(a.getBean(javax.sql.DataSource.class)).isInstanceOf(ReadWriteDataSource.class);
    await().atMost(Duration.ofSeconds(10)).until(
        () -> a.getBean(ReadWriteDataSource.class).health().replicasServing() == 1);
    Reads reads = a.getBean(Reads.class);
    // HikariCP's own count of borrows from each pool: a read-only transaction takes nothing from
    // the primary, not even at its begin (spring-framework#21415), and one connection from a replica
    MeterRegistry registry = a.getBean(MeterRegistry.class);
    Timer primaryBorrows = registry.get("hikaricp.connections.acquire").tag("role", "primary").timer();
    Timer replicaBorrows = registry.get("hikaricp.connections.acquire").tag("role", "replica").timer();
    long primaryBefore = primaryBorrows.count();
    long replicaBefore = replicaBorrows.count();
    assertThat(reads.inReadOnly()).as("@Transactional(readOnly = true)").isTrue();
    assertThat(primaryBorrows.count()).as("primary borrows in a read-only transaction").isEqualTo(primaryBefore);
    assertThat(replicaBorrows.count()).as("replica borrows in a read-only transaction").isEqualTo(replicaBefore + 1);
    assertThat(reads.inReadWrite()).as("@Transactional").isFalse();
    assertThat(primaryBorrows.count()).as("primary borrows in a read-write transaction").isEqualTo(primaryBefore + 1);
    assertThat(replicaBorrows.count()).isEqualTo(replicaBefore + 1);
    assertThat(reads.outside()).as("no transaction").isFalse();
    assertThat(reads.writeInsideReadOnly()).as("REQUIRES_NEW read-write inside read-only").isEqualTo("replica,primary,replica");
  }

  @Test
  void actuatorHealthAndMetrics() throws Exception {
    get(a, "/api/ping");
    HttpResponse<String> health = get(a, "/actuator/health");
    System.out.println("health: " + health.body());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"scaleblocks\"", "ratelimit-api", "cache.books",
        "\"scaleblocksDataSource\"", "replicasServing");
    HttpResponse<String> metric = get(a, "/actuator/metrics/scaleblocks.ratelimit.http.requests");
    assertThat(metric.statusCode()).isEqualTo(200);
    assertThat(get(a, "/actuator/metrics/scaleblocks.ratelimit.keys").statusCode()).isEqualTo(200);
  }

  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  @EnableCaching
  @Import({Books.class, Reads.class, Ping.class})
  static class App {
    @Bean
    dev.scaleblocks.cache.http.ValidatorSource versionedValidators() {
      return request -> dev.scaleblocks.cache.http.Validators.of(
          dev.scaleblocks.cache.http.EntityTag.strong("v7"), null);
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnProperty(name = "it.client", havingValue = "jedis")
    UnifiedJedis jedis(org.springframework.core.env.Environment env) {
      String[] hp = env.getRequiredProperty("it.redis").split(":");
      return RedisClient.builder().hostAndPort(hp[0], Integer.parseInt(hp[1])).build();
    }
  }

  /** A service whose reads are cached. */
  public static class Books {
    private final AtomicInteger loads = new AtomicInteger();
    private final ConcurrentHashMap<String, String> table = new ConcurrentHashMap<>();

    public int loads() {
      return loads.get();
    }

    @Cacheable("books")
    public String find(String id) {
      loads.incrementAndGet();
      return table.getOrDefault(id, "title-" + id);
    }

    @CachePut(cacheNames = "books", key = "#p0")
    public String rename(String id, String title) {
      table.put(id, title);
      return title;
    }
  }

  /** Where a statement runs: pg_is_in_recovery() is true on the replica only. */
  public static class Reads {
    private final JdbcTemplate jdbc;
    private final org.springframework.beans.factory.ObjectProvider<Reads> self;

    public Reads(JdbcTemplate jdbc, org.springframework.beans.factory.ObjectProvider<Reads> self) {
      this.jdbc = jdbc;
      this.self = self;
    }

    private boolean onReplica() {
      return Boolean.TRUE.equals(jdbc.queryForObject("select pg_is_in_recovery()", Boolean.class));
    }

    @Transactional(readOnly = true)
    public boolean inReadOnly() {
      return onReplica();
    }

    @Transactional
    public boolean inReadWrite() {
      return onReplica();
    }

    public boolean outside() {
      return onReplica();
    }

    @Transactional(readOnly = true)
    public String writeInsideReadOnly() {
      String before = onReplica() ? "replica" : "primary";
      String inner = self.getObject().innerReadWrite();
      String after = onReplica() ? "replica" : "primary";
      return before + "," + inner + "," + after;
    }

    @Transactional(propagation = Propagation.REQUIRES_NEW)
    public String innerReadWrite() {
      return onReplica() ? "replica" : "primary";
    }
  }

  @RestController
  public static class Ping {
    final AtomicInteger versionedCalls = new AtomicInteger();

    @GetMapping("/pages/{id}")
    public String page(@org.springframework.web.bind.annotation.PathVariable("id") String id) {
      return "page " + id;
    }

    @GetMapping("/versioned")
    public String versioned() {
      versionedCalls.incrementAndGet();
      return "version 7";
    }

    @GetMapping("/api/ping")
    public String ping() {
      return "pong";
    }

    @GetMapping("/other")
    public String other() {
      return "other";
    }
  }
}
