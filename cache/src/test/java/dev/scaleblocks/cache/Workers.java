package dev.scaleblocks.cache;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Caller threads hammering a cache in a loop, recording every exception they see. */
final class Workers implements AutoCloseable {

  final List<Throwable> errors = new CopyOnWriteArrayList<>();
  final AtomicInteger loads = new AtomicInteger();
  final AtomicLong calls = new AtomicLong();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private volatile boolean stop;

  Workers(TieredCache<String, String> cache, int count, int keySpace) {
    for (int i = 0; i < count; i++) {
      Thread t = new Thread(() -> {
        while (!stop) {
          String key = "k" + ThreadLocalRandom.current().nextInt(keySpace);
          try {
            String v = cache.get(key, k -> {
              loads.incrementAndGet();
              return "v-" + k;
            });
            if (!("v-" + key).equals(v)) {
              errors.add(new AssertionError("wrong value " + v + " for " + key));
            }
            calls.incrementAndGet();
          } catch (Throwable e) {
            errors.add(e);
          }
        }
      }, "worker-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  @Override
  public void close() {
    stop = true;
    try {
      for (Thread t : threads) {
        t.join(10_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
