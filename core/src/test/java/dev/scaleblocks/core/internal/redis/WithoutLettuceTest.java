package dev.scaleblocks.core.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Lettuce is optional: with it off the class path, a Jedis user reaches the Jedis backend and
 * nothing asks for a Lettuce class (no {@link NoClassDefFoundError}). Runs core, Jedis and the
 * rest of the test class path in a class loader of its own that leaves the Lettuce jar out. No
 * Redis needed: a Jedis client connects on first use.
 */
class WithoutLettuceTest {

  @Test
  void aJedisClientGetsTheJedisBackendWithoutLettuceOnTheClassPath() throws Exception {
    try (URLClassLoader loader = classPathWithout("lettuce-core")) {
      assertThatThrownBy(() -> Class.forName("io.lettuce.core.RedisClient", false, loader))
          .isInstanceOf(ClassNotFoundException.class);
      Class<?> backends = Class.forName(RedisBackends.class.getName(), true, loader);
      assertThat(backends.getClassLoader()).isSameAs(loader);
      Class<?> clientType = Class.forName("redis.clients.jedis.RedisClient", true, loader);
      Object client = clientType.getMethod("create", String.class, int.class)
          .invoke(null, "127.0.0.1", 1);
      try {
        Object backend = backends.getMethod("of", Object.class).invoke(null, client);
        assertThat(backend.getClass().getName()).isEqualTo(JedisBackend.class.getName());
        assertThat(backend.getClass().getMethod("client").invoke(backend)).isEqualTo("jedis");
        // anything else is refused by name, without touching a Lettuce class
        assertThatThrownBy(() -> backends.getMethod("of", Object.class).invoke(null, "text"))
            .isInstanceOf(InvocationTargetException.class)
            .cause().isInstanceOf(IllegalArgumentException.class);
      } finally {
        ((AutoCloseable) client).close();
      }
    }
  }

  private static URLClassLoader classPathWithout(String jar) throws MalformedURLException {
    List<URL> urls = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!entry.isEmpty() && !new File(entry).getName().startsWith(jar)) {
        urls.add(new File(entry).toURI().toURL());
      }
    }
    return new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
  }
}
