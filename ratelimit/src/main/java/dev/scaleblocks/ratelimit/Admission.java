package dev.scaleblocks.ratelimit;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What a refund of one admitted {@link Decision} needs: the limiter that made it (its {@link
 * DecisionRecorder}, one per limiter), the key and permits, the store's clock at the admission
 * (which window or bucket state it counted in), and where the permits came from. Made only by a
 * limiter, for an admission that took permits, and reachable only from its decision: a refund
 * cannot be made up for permits never taken.
 *
 * <p>Thread-safe. This {@code AtomicBoolean} is the refund's claim: the first {@link #claim()}
 * wins, so one admission is given back at most once however many threads refund its decision.
 */
final class Admission extends AtomicBoolean {
  private static final long serialVersionUID = 1L;

  final transient Object owner;
  final String key;
  final long permits;
  final long atMillis;
  final transient Origin origin;

  Admission(Object owner, String key, long permits, long atMillis, Origin origin) {
    this.owner = owner;
    this.key = key;
    this.permits = permits;
    this.atMillis = atMillis;
    this.origin = origin;
  }

  /** True for the first caller only. */
  boolean claim() {
    return !get() && compareAndSet(false, true);
  }
}
