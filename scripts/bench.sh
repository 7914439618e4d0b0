#!/usr/bin/env bash
# Runs the JMH benchmarks and writes a report: quick to benchmarks/results/, full to
# docs/benchmarks.md and docs/charts/*.svg (the only mode that touches docs/).
#
#   scripts/bench.sh smoke [regex]  every benchmark and every parameter combination once, briefly;
#                                   exits non-zero if any benchmark fails (keeps them from rotting)
#   scripts/bench.sh quick [regex]  the benchmarks the report pairs with an anchor, short
#                                   iterations, 1 fork: indicative numbers in a few minutes on 2
#                                   cores; report in benchmarks/results/quick.md (+ charts/ there)
#   scripts/bench.sh full  [regex]  everything, 5 forks × 5 iterations with -prof gc: for publishing
#
# Verdicts are taken over the median of at least 5 forks per benchmark (fewer: the report marks
# them indicative and does not count them); each row shows the slowest and fastest fork.
#
# JMH JSON goes to benchmarks/results/ (git-ignored). Environment:
#   JAVA=/path/to/java     the JVM to measure with (default: java on PATH)
#   MVN_ARGS="-o"          extra Maven arguments for the build
#   BENCH_SKIP_BUILD=1     reuse benchmarks/target/benchmarks.jar as it is
#   BENCH_ARGS="-p n=10"   extra JMH arguments (e.g. a subset of parameters)
#   BENCH_FORKS=5          forks per benchmark for quick/full (quick 1, full 5 by default); e.g.
#                          BENCH_FORKS=5 scripts/bench.sh quick REGEX for verdicts on a few rows
#   BENCH_IGNORE_LOCK=1    measure even while another JMH run holds /tmp/jmh.lock (smoke always does);
#                          otherwise quick/full wait up to BENCH_LOCK_WAIT seconds (900) for it
# Benchmarks that need Redis/PostgreSQL use the real services (scripts/services.sh up) at the
# TestServices defaults; SCALEBLOCKS_REDIS, SCALEBLOCKS_PG_PRIMARY, ... move them.
set -euo pipefail

cd "$(dirname "$0")/.."
mode="${1:-}"
regex="${2:-}"
java_bin="${JAVA:-java}"
jar=benchmarks/target/benchmarks.jar
results=benchmarks/results

case "$mode" in
  smoke) jmh_opts=(-f 1 -wi 0 -i 1 -r 100ms -foe true) ;;
  quick) jmh_opts=(-f "${BENCH_FORKS:-1}" -wi 1 -w 500ms -i 3 -r 500ms -prof gc -foe true) ;;
  full) jmh_opts=(-f "${BENCH_FORKS:-5}" -wi 3 -w 1s -i 5 -r 1s -prof gc -foe true) ;;
  *)
    echo "usage: scripts/bench.sh quick|full|smoke [regex]" >&2
    exit 2
    ;;
esac

if [[ "${BENCH_SKIP_BUILD:-}" != 1 ]]; then
  echo "bench: building $jar"
  # shellcheck disable=SC2086
  ./mvnw -B -q ${MVN_ARGS:-} -pl benchmarks -am package -DskipTests
fi
[[ -f "$jar" ]] || { echo "bench: $jar missing" >&2; exit 1; }

if [[ -z "$regex" ]]; then
  if [[ "$mode" == quick ]]; then
    regex="$("$java_bin" -cp "$jar" dev.scaleblocks.benchmarks.report.ReportGenerator --include-regex)"
  else
    regex='dev\.scaleblocks\.benchmarks\.'
  fi
fi
# rows whose callers are virtual threads (…Virtual64) need Java 21+: left out on an older JVM
java_version="$("$java_bin" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
if [[ "${java_version%%.*}" =~ ^[0-9]+$ ]] && (( ${java_version%%.*} < 21 )); then
  echo "bench: Java $java_version has no virtual threads; the …Virtual64 rows are left out (JAVA=<a 21+ java> runs them)"
  jmh_opts+=(-e 'Virtual64')
fi
# the addresses scripts/services.sh up recorded, for the variables not set here
eval "$(scripts/services.sh env)"
# the forked benchmark JVMs read service addresses as system properties (scaleblocks.redis, ...)
jvm_props=()
for var in SCALEBLOCKS_REDIS SCALEBLOCKS_REDIS_CLUSTER SCALEBLOCKS_PG_PRIMARY SCALEBLOCKS_PG_REPLICA SCALEBLOCKS_PG_USER; do
  if [[ -n "${!var:-}" ]]; then
    jvm_props+=("-D$(tr 'A-Z_' 'a-z.' <<<"$var")=${!var}")
  fi
done
if (( ${#jvm_props[@]} )); then
  jmh_opts+=(-jvmArgsAppend "${jvm_props[*]}")
fi
# JMH refuses to run beside another JMH run (/tmp/jmh.lock) so that timings are not skewed; a
# smoke run only checks that every benchmark runs, so it may share the machine
host_props=()
if [[ "$mode" == smoke || "${BENCH_IGNORE_LOCK:-}" == 1 ]]; then
  host_props=(-Djmh.ignoreLock=true)
fi
mkdir -p "$results"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
json="$results/$mode-$stamp.json"
log="$results/$mode-$stamp.log"

echo "bench: $mode run, JMH ${jmh_opts[*]} ${BENCH_ARGS:-}; log $log"
waited=0
while true; do
  load_at_start="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
  set +e
  # shellcheck disable=SC2086
  "$java_bin" "${host_props[@]}" -jar "$jar" "$regex" "${jmh_opts[@]}" ${BENCH_ARGS:-} -rf json -rff "$json" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  if [[ $status -ne 0 ]] && grep -q 'Unable to acquire the JMH lock' "$log" && (( waited < ${BENCH_LOCK_WAIT:-900} )); then
    (( waited % 60 == 0 )) && echo "bench: another JMH run holds /tmp/jmh.lock; waiting (${waited} s so far)"
    sleep 3
    waited=$((waited + 3))
    continue
  fi
  break
done
if [[ $status -ne 0 ]] || grep -q '<failure>' "$log"; then
  echo "bench: FAILED ($mode run, exit $status); see $log" >&2
  exit 1
fi
if [[ ! -s "$json" ]]; then
  echo "bench: FAILED: no results in $json (did the regex match any benchmark?)" >&2
  exit 1
fi
cp "$json" "$results/$mode-latest.json"

if [[ "$mode" == smoke ]]; then
  count="$(grep -c '"benchmark"' "$json" || true)"
  echo "bench: smoke passed, $count benchmark/parameter combinations ran"
  exit 0
fi

sections=()
quality_class=dev.scaleblocks.benchmarks.sharding.ShardingQuality
quality_args=()
[[ "$mode" == quick ]] && quality_args=(--quick)
if "$java_bin" -cp "$jar" "$quality_class" "${quality_args[@]}" > "$results/sharding-quality.md" 2> "$results/sharding-quality.err"; then
  echo "bench: sharding quality table from $quality_class"
  sections+=(--section "Sharding quality=$results/sharding-quality.md")
elif grep -q 'Could not find or load main class' "$results/sharding-quality.err"; then
  echo "bench: no $quality_class in the jar; report without the quality table"
else
  cat "$results/sharding-quality.err" >&2
  echo "bench: FAILED: $quality_class" >&2
  exit 1
fi

# why the goals the last full run missed were missed, written by hand for that run, when present
if [[ -s docs/benchmarks-unmet.md ]]; then
  sections+=(--section "Goals not met: the measured reason=docs/benchmarks-unmet.md")
fi
# the end-to-end HTTP table scripts/http-overhead.sh wrote (a separate run with wrk), when present
if [[ -s docs/benchmarks-http.md ]]; then
  sections+=(--section "End to end: one HTTP route, bare vs with the blocks=docs/benchmarks-http.md")
fi

label="$mode run (scripts/bench.sh $mode), load average at start $load_at_start"
if [[ "$mode" == quick ]]; then
  # never docs/: a quick run's numbers are not for publishing
  label="$label — short iterations, indicative only"
  out="$results/quick.md"
  charts="$results/charts"
else
  out=docs/benchmarks.md
  charts=docs/charts
fi
"$java_bin" -cp "$jar" dev.scaleblocks.benchmarks.report.ReportGenerator \
  --results "$json" --out "$out" --charts "$charts" --label "$label" "${sections[@]}"
