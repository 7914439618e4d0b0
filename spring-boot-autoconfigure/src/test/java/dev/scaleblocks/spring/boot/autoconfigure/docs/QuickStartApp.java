package dev.scaleblocks.spring.boot.autoconfigure.docs;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.data.redis.autoconfigure.DataRedisProperties;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/** The quick start of docs/spring-boot.md; {@code DocSnippetsTest} keeps the two identical. */
final class QuickStartApp {

  private QuickStartApp() {}

  // DOC:spring-boot.md#application
  @SpringBootApplication
  @EnableCaching
  public static class Application {
    public static void main(String[] args) {
      SpringApplication.run(Application.class, args);
    }
  }

  @Service
  public static class Books {
    private final JdbcTemplate jdbc;

    public Books(JdbcTemplate jdbc) {
      this.jdbc = jdbc;
    }

    @Cacheable("books") // L1 + Redis L2, invalidated on every instance
    @Transactional(readOnly = true) // on a load: read from a replica
    public String title(String id) {
      return jdbc.queryForObject("select title from book where id = ?", String.class, id);
    }

    @CacheEvict("books")
    @Transactional // on the primary
    public void rename(String id, String title) {
      jdbc.update("update book set title = ? where id = ?", title, id);
    }
  }
  // END

  @Configuration(proxyBeanMethods = false)
  static class RedisForEveryBlock {
    // DOC:spring-boot.md#jedis
    @Bean(destroyMethod = "close")
    UnifiedJedis cacheRedis(DataRedisProperties redis) {
      return RedisClient.builder()
          .hostAndPort(redis.getHost(), redis.getPort())
          .build();
    }
    // END
  }
}
