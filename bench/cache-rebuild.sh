#!/usr/bin/env bash
# Rebuilds with a registry cache repo, ours vs buildah (`bud --layers --cache-to/--cache-from`) and, when BUILDKITD
# and BUILDCTL name the binaries (run as root; RUNC names runc, default: the one on PATH), BuildKit
# (`--export-cache/--import-cache type=registry,mode=max`), in the same run. Every build pushes its image to a
# loopback registry and uses a cache repo there. Two cases:
#   apt     Debian bookworm minbase + `apt-get install -y python3-minimal` + COPY of a source folder
#   twenty  a 20-step, 3-stage Dockerfile on busybox (two independent stages feed the final one)
# Rows, per builder, in this order:
#   cold                       its own empty state and an empty cache repo (goal: ours ≤ 0.8× BuildKit)
#   no change, warm machine    the same build again
#   one source file changed    one copied file edited
#   fresh machine              the changed build again with nothing local: only the cache repo is shared
#                              (ours: a new --cache-dir; buildah: a new storage root; BuildKit: `buildctl prune --all`)
# Then 200 cache-repo lookups of ours against the same registry (bench/tools/CacheLookups): keys/s.
# Prints wall seconds per row and the ratios ours/buildah and ours/BuildKit.
# Usage: [BUILDKITD=… BUILDCTL=…] bench/cache-rebuild.sh [apt] [twenty]
set -euo pipefail
source "$(dirname "$0")/tools/bench-lib.sh"

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(apt twenty)

bench_build_cli
bench_start_registry
bench_publish_debian
bench_publish_busybox

write_apt_case() { # folder
  mkdir -p "$1/app"
  cat > "$1/Dockerfile" <<'DOCKERFILE'
ARG BASE
FROM ${BASE}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends python3-minimal && rm -rf /var/lib/apt/lists/*
COPY app/ /srv/app/
CMD ["python3", "/srv/app/main.py"]
DOCKERFILE
  for i in $(seq 20); do printf 'VALUE_%d = %d\n' "$i" "$i" > "$1/app/module$i.py"; done
  printf 'print("hello")\n' > "$1/app/main.py"
}

write_twenty_case() { # folder
  mkdir -p "$1/app" "$1/assets"
  cat > "$1/Dockerfile" <<'DOCKERFILE'
ARG BASE
FROM ${BASE} AS deps
ENV STAGE=deps
WORKDIR /deps
RUN for i in $(seq 1 400); do echo "dependency $i" > dep-$i.txt; done
RUN tar -cf /deps.tar /deps
LABEL stage=deps
RUN sha256sum /deps.tar > /deps.sum
FROM ${BASE} AS assets
WORKDIR /assets
COPY assets/ ./
RUN for f in *.css; do tr -s ' ' < "$f" > "min-$f"; done
RUN ls -l > /assets.list
ENV STAGE=assets
FROM ${BASE}
ARG VERSION=1.0
ENV APP_VERSION=${VERSION}
COPY --from=deps /deps.sum /app/deps.sum
COPY --from=assets /assets/ /app/assets/
COPY app/ /app/src/
RUN cat /app/src/*.sh > /app/all.sh && chmod 0755 /app/all.sh
USER 1000
CMD ["/app/all.sh"]
DOCKERFILE
  for i in $(seq 10); do printf '#!/bin/sh\necho part %d\n' "$i" > "$1/app/part$i.sh"; done
  for i in $(seq 5); do printf 'body   {  margin: %dpx;  }\n' "$i" > "$1/assets/style$i.css"; done
}

change_case() { # case folder
  case $1 in
    apt) printf 'VALUE_7 = 700\n' > "$2/app/module7.py" ;;
    twenty) printf '#!/bin/sh\necho part 7, changed\n' > "$2/app/part7.sh" ;;
  esac
}

# ours CASE ROW STATE: STATE names the machine (its cache folder).
ours() {
  local kase=$1 row=$2 state=$3 out="$BENCH_WORK/ours-$1-$2"
  "${ORCHESTRATE[@]}" executor -f Dockerfile -c "$BENCH_WORK/$kase" --destination "$REGISTRY/bench/ours-$kase:$row" \
    --cache=true --cache-repo "$REGISTRY/bench/ours-$kase-cache" --cache-dir "$BENCH_WORK/ours-state-$state" \
    --build-arg "BASE=${bases[$kase]}" >"$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
}

theirs() {
  local kase=$1 row=$2 state=$3 out="$BENCH_WORK/buildah-$1-$2"
  local b=(buildah --storage-driver vfs --root "$BENCH_WORK/buildah-root-$state" --runroot "$BENCH_WORK/buildah-run-$state")
  { "${b[@]}" bud --isolation chroot --layers --tls-verify=false -q -t "localhost/bench:$row" \
      --cache-to "$REGISTRY/bench/buildah-$kase-cache" --cache-from "$REGISTRY/bench/buildah-$kase-cache" \
      --build-arg "BASE=${bases[$kase]}" "$BENCH_WORK/$kase" \
    && "${b[@]}" push -q --tls-verify=false "localhost/bench:$row" "docker://$REGISTRY/bench/buildah-$kase:$row"; } >"$out.log" 2>&1 \
    || { cat "$out.log" >&2; exit 1; }
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
buildkit() {
  local kase=$1 row=$2 state=$3 out="$BENCH_WORK/buildkit-$1-$2"
  if [ "$state" != "${buildkit_state:-}" ]; then
    "$BUILDCTL" --addr "$buildkit_address" prune --all >/dev/null
    buildkit_state=$state
  fi
  local cache="type=registry,ref=$REGISTRY/bench/buildkit-$kase-cache,registry.insecure=true"
  "$BUILDCTL" --addr "$buildkit_address" build --frontend dockerfile.v0 --local "context=$BENCH_WORK/$kase" --local "dockerfile=$BENCH_WORK/$kase" \
    --opt "build-arg:BASE=${bases[$kase]}" --export-cache "$cache,mode=max" --import-cache "$cache" \
    --output "type=image,name=$REGISTRY/bench/buildkit-$kase:$row,push=true,registry.insecure=true" >"$out.log" 2>&1 \
    || { cat "$out.log" >&2; exit 1; }
}

# Every build starts with the page cache written back, so none pays for what the build before it wrote.
timed() { local t; sync; t=$(now_ns); "$@"; seconds_since "$t"; }

declare -A bases=([apt]="$DEBIAN" [twenty]="$BUSYBOX")
declare -A seconds
builders=(ours theirs)
[ -n "$buildkitd_pid" ] && builders+=(buildkit)
for kase in "${cases[@]}"; do
  "write_${kase}_case" "$BENCH_WORK/$kase"
  for builder in "${builders[@]}"; do seconds[$kase-$builder-cold]=$(timed "$builder" "$kase" cold "$kase-first"); done
  for builder in "${builders[@]}"; do seconds[$kase-$builder-nochange]=$(timed "$builder" "$kase" nochange "$kase-first"); done
  change_case "$kase" "$BENCH_WORK/$kase"
  for builder in "${builders[@]}"; do seconds[$kase-$builder-changed]=$(timed "$builder" "$kase" changed "$kase-first"); done
  for builder in "${builders[@]}"; do seconds[$kase-$builder-fresh]=$(timed "$builder" "$kase" fresh "$kase-second"); done
  # What the rows claim, checked: ours ran no step on the fresh machine.
  if grep -E '^\[[^]]*\] step [0-9]+/[0-9]+: ' "$BENCH_WORK/ours-$kase-fresh.log" | grep -qv ': CACHED '; then
    echo "ours: the fresh machine ran steps ($kase)" >&2; cat "$BENCH_WORK/ours-$kase-fresh.log" >&2; exit 1
  fi
done

for kase in "${cases[@]}"; do
  echo "case $kase"
  printf '  %-34s %9s %10s %11s %13s %14s\n' "" "ours s" "buildah s" "BuildKit s" "ours/buildah" "ours/BuildKit"
  for row in cold nochange changed fresh; do
    case $row in
      cold) label="cold (goal <= 0.8)";; nochange) label="no change, warm machine";;
      changed) label="one source file changed";; fresh) label="fresh machine, cache repo only";;
    esac
    o=${seconds[$kase-ours-$row]} b=${seconds[$kase-theirs-$row]} k=${seconds[$kase-buildkit-$row]:-}
    printf '  %-34s %9.2f %10.2f %11s %13s %14s\n' "$label" "$o" "$b" "${k:--}" \
      "$(awk -v o="$o" -v b="$b" 'BEGIN{printf "%.2f", o/b}')" "$([ -n "$k" ] && awk -v o="$o" -v k="$k" 'BEGIN{printf "%.2f", o/k}' || echo -)"
  done
done

dotnet run --project "$BENCH_ROOT/bench/tools/CacheLookups" -c Release -v q -- "$REGISTRY/bench/lookups" 200
