#!/usr/bin/env bash
# What scaleblocks adds to a request end to end: one route (GET /item, 180-byte JSON) on Jetty and
# on Netty, bare and behind correlation + a local per-IP rate limit + ETag/conditional handling
# (dev.scaleblocks.examples.HttpOverhead), loaded with wrk at 4 and 16 connections. Prints a
# markdown table: requests/s and p99 of each, and blocks ÷ bare (goal: throughput ≥ 0.85×, p99 ≤
# 1.2×). Each server runs alone, is warmed up, then measured; wrk and the server share the machine.
# Bare and blocks runs alternate in pairs, so a change of load on the machine hits both alike.
#
#   scripts/http-overhead.sh            build examples/target/demo.jar, then measure
#   HTTP_SKIP_BUILD=1                   reuse the jar
#   HTTP_DURATION=10s HTTP_WARMUP=5s    wrk run lengths (measured, warm-up)
#   HTTP_ROUNDS=3                       bare/blocks pairs per row; the table shows the median
#                                       and min–max of the rounds (needs `wrk`: apt-get install wrk)
#   HTTP_VARIANTS="blocks"              what is put in front of the route, one row set each:
#                                       blocks (all three), or one alone: correlation, ratelimit,
#                                       etag (e.g. HTTP_VARIANTS="correlation ratelimit etag blocks")
#   HTTP_SERVERS="jetty netty"          HTTP_CONNECTIONS="4 16"
#   HTTP_JFR=DIR                        record each server with Java Flight Recorder (profile
#                                       settings, HTTP_DURATION long, from HTTP_WARMUP after start)
#                                       into DIR/<server>-<variant>-<c>-<n>.jfr
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "http-overhead: wrk not found (apt-get install wrk)" >&2; exit 1; }
jar=examples/target/demo.jar
if [[ "${HTTP_SKIP_BUILD:-}" != 1 ]]; then
  # shellcheck disable=SC2086
  ./mvnw -B -q ${MVN_ARGS:-} -pl examples -am package -DskipTests
fi
duration="${HTTP_DURATION:-10s}"
warmup="${HTTP_WARMUP:-5s}"
rounds="${HTTP_ROUNDS:-3}"
variants="${HTTP_VARIANTS:-blocks}"
servers="${HTTP_SERVERS:-jetty netty}"
connections="${HTTP_CONNECTIONS:-4 16}"
jfr="${HTTP_JFR:-}"
run=0
port=18180
out="$(mktemp -d)"
server_pid=""
cleanup() { [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true; }
trap cleanup EXIT

# one wrk measurement of a fresh server: prints "requests/s p99-microseconds"
measure() { # server variant connections
  port=$((port + 1))
  run=$((run + 1))
  local jvm=()
  # written when it ends (before the server is killed: a killed JVM may leave the file empty);
  # it starts $warmup after the JVM, so it covers the end of the warm-up and most of the measured run
  [[ -n "$jfr" ]] && jvm=("-XX:StartFlightRecording=settings=profile,delay=$warmup,duration=$duration,filename=$jfr/$1-$2-$3-$run.jfr")
  java "${jvm[@]}" -cp "$jar" dev.scaleblocks.examples.HttpOverhead "$1" "$2" "$port" > "$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/item" && break; sleep 0.2; done
  wrk -t 2 -c "$3" -d "$warmup" "http://127.0.0.1:$port/item" > /dev/null
  wrk -t 2 -c "$3" -d "$duration" --latency "http://127.0.0.1:$port/item" > "$out/wrk.txt"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  awk '
    function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return (v + 0) * 1000; if (v ~ /s$/) return (v + 0) * 1e6; return v }
    /Requests\/sec/ { rps = $2 }
    /^ +99%/ { p99 = us($2) }
    /Non-2xx/ { bad = $NF }
    END { if (bad > 0) { print "http-overhead: " bad " non-2xx responses" > "/dev/stderr" } printf "%s %s\n", rps, p99 }' "$out/wrk.txt"
}

median_min_max() { sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }'; }

[[ -n "$jfr" ]] && mkdir -p "$jfr"
echo "| server | in front | connections | bare req/s | with req/s | throughput ratio (min–max) | bare p99 µs | with p99 µs | p99 ratio (min–max) |"
echo "|---|---|---|---|---|---|---|---|---|"
for variant in $variants; do
for server in $servers; do
  for c in $connections; do
    : > "$out/ratios"
    : > "$out/bare"
    : > "$out/blocks"
    for _ in $(seq "$rounds"); do
      read -r brps bp99 < <(measure "$server" bare "$c")
      read -r srps sp99 < <(measure "$server" "$variant" "$c")
      echo "$brps $bp99" >> "$out/bare"
      echo "$srps $sp99" >> "$out/blocks"
      awk -v a="$brps" -v b="$srps" -v p="$bp99" -v q="$sp99" 'BEGIN { printf "%.4f %.4f\n", b / a, q / p }' >> "$out/ratios"
    done
    read -r tr trmin trmax < <(cut -d' ' -f1 "$out/ratios" | median_min_max)
    read -r pr prmin prmax < <(cut -d' ' -f2 "$out/ratios" | median_min_max)
    read -r brps _ _ < <(cut -d' ' -f1 "$out/bare" | median_min_max)
    read -r bp99 _ _ < <(cut -d' ' -f2 "$out/bare" | median_min_max)
    read -r srps _ _ < <(cut -d' ' -f1 "$out/blocks" | median_min_max)
    read -r sp99 _ _ < <(cut -d' ' -f2 "$out/blocks" | median_min_max)
    printf "| %s | %s | %s | %.0f | %.0f | %.2f× (%.2f–%.2f) | %.0f | %.0f | %.2f× (%.2f–%.2f) |\n" \
      "$server" "$variant" "$c" "$brps" "$srps" "$tr" "$trmin" "$trmax" "$bp99" "$sp99" "$pr" "$prmin" "$prmax"
  done
done
done
echo
echo "median of $rounds bare/with pairs per row, wrk -t 2 for $duration after $warmup of warm-up;"\
  "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
