package dev.scaleblocks.core.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The group commit alone, with a sender of the test's own that answers when told to. */
class GroupCommitTest {

  /** Holds every batch until {@link #answer} answers the oldest: each item with its double. */
  private static final class HeldSender implements GroupCommit.Sender<Integer, Integer> {
    final List<List<Integer>> sent = new ArrayList<>();
    final List<Runnable> held = new ArrayList<>();
    int inFlight;
    int mostInFlight;

    @Override
    public synchronized CompletableFuture<?> send(List<GroupCommit.Pending<Integer, Integer>> batch) {
      List<Integer> items = new ArrayList<>();
      batch.forEach(p -> items.add(p.item));
      sent.add(items);
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      CompletableFuture<Void> done = new CompletableFuture<>();
      held.add(() -> {
        synchronized (this) {
          inFlight--;
        }
        batch.forEach(p -> p.result.complete(p.item * 2));
        done.complete(null);
      });
      return done;
    }

    void answer() {
      Runnable r;
      synchronized (this) {
        r = held.remove(0);
      }
      r.run();
    }
  }

  @Test
  void aLoneItemLeavesAtOnceAndTheQueuedOnesLeaveTogetherInOrder() throws Exception {
    HeldSender sender = new HeldSender();
    GroupCommit<Integer, Integer> commit = new GroupCommit<>(sender, 1, 4, 2);
    List<CompletableFuture<Integer>> asked = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      asked.add(commit.submit(0, i));
    }
    // two alone (two in flight), the other nine queued
    assertThat(sender.sent).containsExactly(List.of(0), List.of(1));
    sender.answer();
    assertThat(sender.sent).containsExactly(List.of(0), List.of(1), List.of(2, 3, 4, 5));
    sender.answer();
    sender.answer();
    sender.answer();
    sender.answer();
    assertThat(sender.sent).containsExactly(List.of(0), List.of(1), List.of(2, 3, 4, 5),
        List.of(6, 7, 8, 9), List.of(10));
    assertThat(sender.mostInFlight).isEqualTo(2);
    for (int i = 0; i < asked.size(); i++) {
      assertThat(asked.get(i).get(1, TimeUnit.SECONDS)).isEqualTo(2 * i);
    }
  }

  @Test
  void groupsDoNotWaitForEachOther() {
    HeldSender sender = new HeldSender();
    GroupCommit<Integer, Integer> commit = new GroupCommit<>(sender, 16384, 64, 1);
    commit.submit(7, 1);
    commit.submit(7, 2);
    commit.submit(9000, 3);
    assertThat(sender.sent).containsExactly(List.of(1), List.of(3));
    sender.answer();
    assertThat(sender.sent).containsExactly(List.of(1), List.of(3), List.of(2));
  }

  @Test
  void aSenderThatThrowsFailsItsBatchAndTheGroupGoesOn() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    GroupCommit<Integer, Integer> commit = new GroupCommit<>(batch -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("refused");
      }
      batch.forEach(p -> p.result.complete(p.item));
      return CompletableFuture.completedFuture(null);
    }, 1, 8, 1);
    CompletableFuture<Integer> first = commit.submit(0, 1);
    assertThatThrownBy(() -> first.get(1, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasRootCauseMessage("refused");
    assertThat(commit.submit(0, 2).get(1, TimeUnit.SECONDS)).isEqualTo(2);
  }

  /**
   * Many threads submitting while answers come on another thread: every item is answered exactly
   * once, no batch is larger than allowed, never more in flight than allowed, and nothing is left
   * queued with no batch in flight.
   */
  @Test
  void underContentionEveryItemIsSentOnceAndAnswered() throws Exception {
    int threads = 8;
    int each = 5_000;
    ConcurrentLinkedQueue<Runnable> toAnswer = new ConcurrentLinkedQueue<>();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    AtomicInteger largest = new AtomicInteger();
    AtomicInteger sentItems = new AtomicInteger();
    GroupCommit<Integer, Integer> commit = new GroupCommit<>(batch -> {
      most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      largest.accumulateAndGet(batch.size(), Math::max);
      sentItems.addAndGet(batch.size());
      CompletableFuture<Void> done = new CompletableFuture<>();
      toAnswer.add(() -> {
        inFlight.decrementAndGet();
        batch.forEach(p -> p.result.complete(p.item));
        done.complete(null);
      });
      return done;
    }, 1, 16, 2);
    CountDownLatch submitted = new CountDownLatch(threads);
    Thread answerer = new Thread(() -> {
      while (submitted.getCount() > 0 || !toAnswer.isEmpty()) {
        Runnable r = toAnswer.poll();
        if (r != null) {
          r.run();
        } else {
          Thread.onSpinWait();
        }
      }
    });
    answerer.start();
    List<List<CompletableFuture<Integer>>> asked = new ArrayList<>();
    List<Thread> submitters = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      List<CompletableFuture<Integer>> mine = new ArrayList<>();
      asked.add(mine);
      int base = t * each;
      Thread th = new Thread(() -> {
        for (int i = 0; i < each; i++) {
          mine.add(commit.submit(0, base + i));
        }
        submitted.countDown();
      });
      submitters.add(th);
      th.start();
    }
    for (Thread th : submitters) {
      th.join();
    }
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < each; i++) {
        assertThat(asked.get(t).get(i).get(10, TimeUnit.SECONDS)).isEqualTo(t * each + i);
      }
    }
    answerer.join(10_000);
    assertThat(sentItems.get()).isEqualTo(threads * each);
    assertThat(most.get()).isLessThanOrEqualTo(2);
    assertThat(largest.get()).isLessThanOrEqualTo(16);
  }
}
