#!/usr/bin/env bash
# Rebuilds with the local build cache, ours vs buildah (`bud --layers`) and, when BUILDKITD and BUILDCTL name
# the binaries (run as root; RUNC names runc, default: the one on PATH), BuildKit, in the same run:
#   Debian bookworm minbase + `apt-get install -y python3-minimal` + COPY of a source folder.
# Each builder first builds once cold (its own empty cache, shown but not compared), then:
#   "no change, warm machine"  the same build again
#   "one source file changed"  one file of the copied folder edited
# Every build ends in an OCI layout (buildah: bud, then push to oci:; BuildKit: --output type=oci).
# Prints wall seconds per row and the ratios ours/buildah (and ours/BuildKit).
# Usage: [BUILDKITD=… BUILDCTL=…] bench/cache-rebuild.sh
set -euo pipefail
source "$(dirname "$0")/tools/bench-lib.sh"

bench_build_cli
bench_start_registry
bench_publish_debian

context="$BENCH_WORK/context"
mkdir -p "$context/app"
cat > "$context/Dockerfile" <<'DOCKERFILE'
ARG DEBIAN
FROM ${DEBIAN}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends python3-minimal && rm -rf /var/lib/apt/lists/*
COPY app/ /srv/app/
CMD ["python3", "/srv/app/main.py"]
DOCKERFILE
for i in $(seq 20); do printf 'VALUE_%d = %d\n' "$i" "$i" > "$context/app/module$i.py"; done
printf 'print("hello")\n' > "$context/app/main.py"

ours() { # row name
  local out="$BENCH_WORK/ours-$1"
  "${ORCHESTRATE[@]}" executor -f Dockerfile -c "$context" --no-push --oci-layout-path "$out/layout" --cache-dir "$BENCH_WORK/ours-cache" \
    --cache=true --build-arg "DEBIAN=$DEBIAN" >"$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
}

buildah_root=(buildah --storage-driver vfs --root "$BENCH_WORK/buildah-root" --runroot "$BENCH_WORK/buildah-run")
theirs() { # row name
  local out="$BENCH_WORK/buildah-$1"
  mkdir -p "$out"
  { "${buildah_root[@]}" bud --isolation chroot --layers --tls-verify=false -q -t "localhost/bench:$1" \
      --build-arg "DEBIAN=$DEBIAN" "$context" \
    && "${buildah_root[@]}" push -q "localhost/bench:$1" "oci:$out/layout:latest"; } >"$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
}

buildkitd_pid=""
if [ -n "${BUILDKITD:-}" ] && [ -n "${BUILDCTL:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "buildkitd runs here as root (OCI worker, overlayfs): run this script as root" >&2; exit 2; }
  RUNC=${RUNC:-$(command -v runc)}
  # shellcheck source=tools/buildkitd.sh
  . "$(dirname "$0")/tools/buildkitd.sh"
  start_buildkitd "$BENCH_WORK" "$REGISTRY"
  stop_buildkitd() {
    kill -TERM "$buildkitd_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$buildkitd_pid" 2>/dev/null || break; sleep 0.1; done
    { grep -o " $BENCH_WORK/[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r mount; do umount -l "$mount" || true; done
    bench_cleanup
  }
  trap stop_buildkitd EXIT
fi
buildkit() { # row name
  local out="$BENCH_WORK/buildkit-$1"
  mkdir -p "$out"
  "$BUILDCTL" --addr "$buildkit_address" build --frontend dockerfile.v0 --local "context=$context" --local "dockerfile=$context" \
    --opt "build-arg:DEBIAN=$DEBIAN" --output "type=oci,dest=$out/image.tar" >"$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
}

timed() { local t; t=$(now_ns); "$@"; seconds_since "$t"; }

declare -A seconds
builders=(ours theirs)
[ -n "$buildkitd_pid" ] && builders+=(buildkit)
for builder in "${builders[@]}"; do seconds[$builder-cold]=$(timed "$builder" cold); done
for builder in "${builders[@]}"; do seconds[$builder-nochange]=$(timed "$builder" nochange); done
printf 'VALUE_7 = 700\n' > "$context/app/module7.py"
for builder in "${builders[@]}"; do seconds[$builder-changed]=$(timed "$builder" changed); done
grep -q "CACHED RUN" "$BENCH_WORK/ours-changed.log" || { echo "ours: the apt-get RUN was not a cache hit after the source change" >&2; cat "$BENCH_WORK/ours-changed.log" >&2; exit 1; }

printf '%-27s %9s %9s %9s %14s %15s\n' "" "ours s" "buildah s" "BuildKit s" "ours/buildah" "ours/BuildKit"
for row in cold nochange changed; do
  case $row in cold) label="cold (not compared)";; nochange) label="no change, warm machine";; changed) label="one source file changed";; esac
  o=${seconds[ours-$row]} b=${seconds[theirs-$row]} k=${seconds[buildkit-$row]:-}
  printf '%-27s %9.2f %9.2f %9s %14s %15s\n' "$label" "$o" "$b" "${k:--}" \
    "$(awk -v o="$o" -v b="$b" 'BEGIN{printf "%.2f", o/b}')" "$([ -n "$k" ] && awk -v o="$o" -v k="$k" 'BEGIN{printf "%.2f", o/k}' || echo -)"
done
