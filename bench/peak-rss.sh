#!/usr/bin/env bash
# Peak resident memory of our builder (the whole `executor` process tree, from /usr/bin/time -v)
# while it builds an image whose RUN step writes a 1 GiB file of random bytes (incompressible): the layer is snapshotted, tarred,
# compressed, hashed and written as an OCI layout. Goal: ≤ 300 MB, i.e. memory does not follow
# the layer size. Needs Debian's `time` package (/usr/bin/time).
# Usage: bench/peak-rss.sh [MIB=1024]
set -euo pipefail
source "$(dirname "$0")/tools/bench-lib.sh"
mib=${1:-1024}
[ -x /usr/bin/time ] || { echo "install Debian's 'time' package (/usr/bin/time)" >&2; exit 1; }

bench_build_cli
bench_start_registry
bench_publish_busybox

context="$BENCH_WORK/context"
mkdir -p "$context"
printf 'ARG BUSYBOX\nFROM ${BUSYBOX}\nRUN dd if=/dev/urandom of=/big bs=1048576 count=%s 2>/dev/null\n' "$mib" > "$context/Dockerfile"

t=$(now_ns)
/usr/bin/time -v -o "$BENCH_WORK/time.txt" "${ORCHESTRATE[@]}" executor -f Dockerfile -c "$context" --no-push \
  --oci-layout-path "$BENCH_WORK/layout" --cache-dir "$BENCH_WORK/cache" --build-arg "BUSYBOX=$BUSYBOX" >"$BENCH_WORK/build.log" 2>&1 \
  || { cat "$BENCH_WORK/build.log"; exit 1; }
wall=$(seconds_since "$t")
kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$BENCH_WORK/time.txt")
layer=$(find "$BENCH_WORK/layout/blobs" -type f -size +100M -printf '%s\n' | sort -n | tail -1)
printf 'layer of %s MiB (compressed blob %.0f MB) built in %s s\n' "$mib" "$(awk -v b="${layer:-0}" 'BEGIN{print b/1e6}')" "$wall"
printf 'peak RSS %.0f MB   goal 300 MB   ratio %.2f of the goal\n' "$(awk -v k="$kb" 'BEGIN{print k/1024}')" "$(awk -v k="$kb" 'BEGIN{print k/1024/300}')"
