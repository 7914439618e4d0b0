#!/usr/bin/env bash
# Load against a running demo (scripts/demo.sh): throughput, p50/p99, 429 share, cache hit ratio.
#
#   scripts/load.sh                       both servers of the local demo, 10 s, 8 threads
#   scripts/load.sh --seconds=30 --concurrency=16 --targets=http://127.0.0.1:8080
#   scripts/load.sh two-instances         starts two demo instances on one Redis (REDIS_URL, default
#                                         redis://127.0.0.1:6379), shows that they enforce one global
#                                         limit and invalidate each other's L1, then stops them
#
# Uses the JDK's HttpClient from examples/target/demo.jar: a jar already built is reused as it is
# (so the load starts at once), it is built only when missing (DEMO_BUILD=1 forces a build), and
# it runs from a copy under examples/target/run/, never overwriting the jar of a running demo.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/demo-jar.sh
. scripts/demo-jar.sh
if [[ "${DEMO_BUILD:-}" == 1 || ! -f "$DEMO_JAR" ]]; then
  demo_build
fi
jar="$(demo_run_copy)"
load() { java -cp "$jar" dev.scaleblocks.examples.LoadGenerator "$@"; }

if [[ "${1:-}" != two-instances ]]; then
  load "$@"
  exit 0
fi
shift

redis="${REDIS_URL:-redis://127.0.0.1:6379}"
limit="${LIMIT:-50}"
window="${LIMIT_WINDOW_SECONDS:-60}"
logs="$(mktemp -d)"
pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT
for i in 1 2; do
  java -jar "$jar" --instance="load-$i-$$" --namespace="load-$$" --redis-url="$redis" --limit="$limit" --limit-window-seconds="$window" \
    --jetty-port="$((18078 + 2 * i))" --netty-port="$((18079 + 2 * i))" >"$logs/demo-$i.log" 2>&1 &
  pids+=("$!")
done
echo "two demo instances on $redis, limit $limit requests per $window s per client IP (one key: 127.0.0.1)"
load --targets=http://127.0.0.1:18080,http://127.0.0.1:18082 --seconds="${SECONDS_TO_RUN:-5}" --concurrency=4 \
  --invalidation=true --wait-seconds=60 "$@"
echo "(global limit held if the admitted total across both instances is about $limit, not $((2 * limit)))"
