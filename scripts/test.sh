#!/usr/bin/env bash
# Brings up the real services (scripts/services.sh up) and runs every test: unit tests (surefire)
# and integration tests against real Redis, Redis Cluster and PostgreSQL primary + replica
# (failsafe). Extra arguments go to Maven, e.g. `scripts/test.sh -pl cache -am`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh up
./mvnw -B verify "$@"
