# Sourced by scripts/demo.sh and scripts/load.sh: builds examples/target/demo.jar when needed, with
# progress, and hands out a copy of it to run, so that a later build never overwrites the jar a
# running demo reads its classes from.
#
#   DEMO_BUILD=1        build even when the jar is newer than every source file and pom
#   DEMO_SKIP_BUILD=1   never build (use the jar as it is)
#   MVN_ARGS="-o"       extra Maven arguments
DEMO_JAR=examples/target/demo.jar

# true when the jar is missing or a pom or a source file is newer than it
demo_jar_stale() {
  [[ ! -f "$DEMO_JAR" ]] && return 0
  [[ -n "$(find pom.xml ./*/pom.xml ./*/src -newer "$DEMO_JAR" -type f -print -quit 2>/dev/null)" ]]
}

# Builds the jar with Maven, printing one line per module and a download count instead of Maven's
# quiet silence (the first build downloads Maven and about 390 libraries).
demo_build() {
  local log start status
  log="$(mktemp -t scaleblocks-demo-build.XXXXXX)"
  start=$SECONDS
  if [[ ! -d "${HOME}/.m2/repository/org/eclipse/jetty" ]]; then
    echo "demo: first build on this machine: Maven and about 390 libraries are downloaded into ~/.m2,"
    echo "demo: then the modules are compiled; this usually takes 1 to 3 minutes (later builds 20-40 s)."
  else
    echo "demo: building $DEMO_JAR (./mvnw package, tests skipped; usually 20-40 s)"
  fi
  if [[ ! -d "${HOME}/.m2/wrapper/dists" ]]; then
    echo "demo: the Maven wrapper downloads Maven itself first (about 9 MB, silent)"
  fi
  echo "demo: full build log: $log"
  set +e
  # shellcheck disable=SC2086
  ./mvnw -B ${MVN_ARGS:-} -pl examples -am package -DskipTests 2>&1 | tee "$log" | demo_progress
  status=${PIPESTATUS[0]}
  set -e
  if [[ $status -ne 0 ]]; then
    echo "demo: the build failed (exit $status); its last lines (full log: $log):" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  echo "demo: built $DEMO_JAR in $((SECONDS - start)) s"
  rm -f "$log"
}

# Maven's output, reduced to one line per module and one per 50 downloads, with the seconds so far.
demo_progress() {
  local line downloads=0 start=$SECONDS
  local building='^\[INFO\] Building ([^ ]+) .*\[([0-9]+/[0-9]+)\]$'
  while IFS= read -r line; do
    if [[ "$line" =~ $building ]]; then
      printf 'demo:   %3d s  compiling %s (%s)\n' $((SECONDS - start)) "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    elif [[ "$line" == *"Downloaded from"* ]]; then
      downloads=$((downloads + 1))
      if ((downloads % 50 == 0)); then
        printf 'demo:   %3d s  %d downloads so far\n' $((SECONDS - start)) "$downloads"
      fi
    fi
  done
}

# Builds when needed (see the variables above).
demo_ensure_jar() {
  if [[ "${DEMO_SKIP_BUILD:-}" == 1 ]]; then
    [[ -f "$DEMO_JAR" ]] || { echo "demo: DEMO_SKIP_BUILD=1 but $DEMO_JAR is missing" >&2; exit 1; }
  elif [[ "${DEMO_BUILD:-}" == 1 ]] || demo_jar_stale; then
    demo_build
  fi
}

# Prints the path of a copy of the jar named after its content: a running demo keeps its copy, a
# new build makes a new one (target/ is cleaned by `./mvnw clean`).
demo_run_copy() {
  local sum copy
  sum="$(sha256sum "$DEMO_JAR" | cut -c1-12)"
  copy="examples/target/run/demo-$sum.jar"
  if [[ ! -f "$copy" ]]; then
    mkdir -p examples/target/run
    cp "$DEMO_JAR" "$copy.tmp.$$"
    mv -f "$copy.tmp.$$" "$copy"
  fi
  echo "$copy"
}
