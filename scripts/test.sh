#!/usr/bin/env bash
# Brings up the real services (scripts/services.sh up) and runs every test: unit tests (surefire)
# and integration tests against real Redis, Redis Cluster and PostgreSQL primary + replica
# (failsafe). Extra arguments go to Maven, e.g. `scripts/test.sh -pl cache -am`.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "test: bringing up the services (scripts/services.sh up; installs them the first time, as root)"
scripts/services.sh up
# the addresses up used (it may have moved PostgreSQL off a foreign server it cannot use)
eval "$(scripts/services.sh env)"
echo "test: running every unit and integration test (./mvnw -B verify $*; several minutes)"
./mvnw -B verify "$@"
