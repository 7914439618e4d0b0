#!/usr/bin/env bash
# Builds and starts the demo service: a product catalog served by Jetty (default port 8080) and
# Netty (8081) with every scaleblocks block wired in. Needs only a JDK 17+.
#
#   scripts/demo.sh                                  in-memory H2 shards, L1 cache, local limiter
#   scripts/demo.sh --jetty-port=9080 --limit=20     flags (or environment variables, see --help=true)
#   REDIS_URL=redis://127.0.0.1:6379 \
#   DATABASE_URLS=jdbc:postgresql://127.0.0.1:5432/demo0,jdbc:postgresql://127.0.0.1:5432/demo1 \
#   DATABASE_REPLICA_URLS=jdbc:postgresql://127.0.0.1:5433/demo0,jdbc:postgresql://127.0.0.1:5433/demo1 \
#     scripts/demo.sh                                real Redis, PostgreSQL primaries + replicas
#
# MVN_ARGS="-o" passes extra arguments to Maven; DEMO_SKIP_BUILD=1 reuses examples/target/demo.jar;
# JAVA_OPTS goes to the JVM.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${DEMO_SKIP_BUILD:-}" != 1 ]]; then
  # shellcheck disable=SC2086
  ./mvnw -B -q ${MVN_ARGS:-} -pl examples -am package -DskipTests
fi
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -jar examples/target/demo.jar "$@"
