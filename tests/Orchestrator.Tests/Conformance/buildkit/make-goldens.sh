#!/usr/bin/env bash
# Regenerates Conformance/Cases/<name>/buildkit.golden.json: what BuildKit (Docker's own builder, the reference for
# Dockerfile semantics) builds from each conformance case, recorded relative to the case's base image.
#
#   sudo BUILDKITD=/path/to/buildkitd BUILDCTL=/path/to/buildctl tests/Orchestrator.Tests/Conformance/buildkit/make-goldens.sh [case ...]
#
# The goldens in the repo were made with BuildKit v0.11.6 (see docs/conformance.md). As root, this starts a private
# buildkitd (OCI worker on runc, overlayfs snapshotter, host network, no containerd worker) and a loopback
# docker-registry for the bases, runs the BuildKitGoldenWriter test (which pushes the suite's own busybox and Debian
# bases there, builds each case with buildctl and writes the goldens), and stops both daemons at the end.
# Optional: RUNC (default: runc on PATH), case names as arguments (default: every case with a golden to make).
# With --kaniko first, the cases are Kaniko's adapted integration Dockerfiles (Conformance/Kaniko/cases) instead.
set -euo pipefail

suite=cases
if [ "${1:-}" = --kaniko ]; then suite=kaniko; shift; fi

: "${BUILDKITD:?set BUILDKITD to the buildkitd binary}"
: "${BUILDCTL:?set BUILDCTL to the buildctl binary}"
RUNC="${RUNC:-$(command -v runc || true)}"
[ -x "$BUILDKITD" ] || { echo "BUILDKITD=$BUILDKITD is not executable" >&2; exit 2; }
[ -x "$BUILDCTL" ] || { echo "BUILDCTL=$BUILDCTL is not executable" >&2; exit 2; }
[ -n "$RUNC" ] && [ -x "$RUNC" ] || { echo "runc not found: install it or set RUNC" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "buildkitd runs here as root (OCI worker, overlayfs): run this script as root" >&2; exit 2; }
for tool in docker-registry skopeo umoci curl dotnet; do
  command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 2; }
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tests_project="$(cd "$here/../.." && pwd)"
work="$(mktemp -d /tmp/orchestrator-buildkit-goldens-XXXXXX)"
registry_pid=""
buildkitd_pid=""

stop() {
  local pid="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  stop "$buildkitd_pid"
  stop "$registry_pid"
  # buildkitd unmounts its snapshots when it stops; whatever a killed daemon left mounted goes first.
  { grep -o " $work/[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r mount; do umount -l "$mount" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# A loopback registry for the bases, on a free port.
for attempt in 1 2 3 4 5; do
  port=$(( 20000 + RANDOM % 40000 ))
  mkdir -p "$work/registry"
  cat > "$work/registry/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry/storage
http:
  addr: 127.0.0.1:$port
YAML
  docker-registry serve "$work/registry/config.yml" > "$work/registry/log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break 2
    kill -0 "$registry_pid" 2>/dev/null || break
    sleep 0.1
  done
  stop "$registry_pid"; registry_pid=""
  [ "$attempt" = 5 ] && { echo "docker-registry did not start:" >&2; cat "$work/registry/log" >&2; exit 1; }
done
registry="127.0.0.1:$port"

# BuildKit's own daemon: state, socket and config under $work, the registry marked plain HTTP.
# shellcheck source=../../../../bench/tools/buildkitd.sh
. "$here/../../../../bench/tools/buildkitd.sh"
start_buildkitd "$work" "$registry"
address="$buildkit_address"
"$BUILDCTL" --addr "$address" debug info

status=0
BUILDCTL="$BUILDCTL" BUILDKIT_HOST="$address" ORCHESTRATOR_CONFORMANCE_REGISTRY="$registry" ORCHESTRATOR_BUILDKIT_CASES="$*" ORCHESTRATOR_BUILDKIT_SUITE="$suite" \
  dotnet test "$tests_project" -p:WriteBuildKitGoldens=true --filter "FullyQualifiedName~Orchestrator.Tests.Conformance.BuildKitGoldenWriter" \
  --logger "console;verbosity=normal" || status=$?
[ "$status" = 0 ] || { echo "--- buildkitd log (tail)" >&2; tail -n 40 "$work/buildkitd.log" >&2; }
exit "$status"
