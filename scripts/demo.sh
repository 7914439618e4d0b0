#!/usr/bin/env bash
# Builds (when needed) and starts the demo service: a product catalog served by Jetty (default
# port 8080) and Netty (8081) with every scaleblocks block wired in. Needs only a JDK 17+.
# Ctrl-C stops it (it logs what it closed).
#
#   scripts/demo.sh                                  in-memory H2 shards, L1 cache, local limiter
#   scripts/demo.sh --jetty-port=9080 --netty-port=9081 --limit=20
#                                                    flags (or environment variables: --help=true)
#   REDIS_URL=redis://127.0.0.1:6379 \
#   DATABASE_URLS=jdbc:postgresql://127.0.0.1:5432/demo0,jdbc:postgresql://127.0.0.1:5432/demo1 \
#   DATABASE_REPLICA_URLS=jdbc:postgresql://127.0.0.1:5433/demo0,jdbc:postgresql://127.0.0.1:5433/demo1 \
#     scripts/demo.sh                                real Redis, PostgreSQL primaries + replicas
#
# The jar is built when it is missing or older than a source file or pom (DEMO_BUILD=1 forces a
# build, DEMO_SKIP_BUILD=1 never builds, MVN_ARGS="-o" passes arguments to Maven), and runs from a
# copy under examples/target/run/, so a later build never overwrites a running demo's jar.
# JAVA_OPTS goes to the JVM.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/demo-jar.sh
. scripts/demo-jar.sh
demo_ensure_jar
jar="$(demo_run_copy)"
echo "demo: starting $jar (a few seconds; Ctrl-C stops it)"
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -jar "$jar" "$@"
