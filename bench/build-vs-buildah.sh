#!/usr/bin/env bash
# Cold builds, ours vs buildah, in the same run on the same machine:
#   (a) Debian bookworm minbase + `apt-get install jq` + COPY   (bench/tools/apt)
#   (b) examples/multistage as a Dockerfile                    (examples/multistage/Dockerfile)
# Each build starts from an empty cache (ours: a fresh --cache-dir; buildah: a fresh vfs --root),
# so both pull the base from the same local registry and extract it. Ours writes an OCI layout;
# buildah runs `bud` (vfs, chroot isolation) and then pushes to an OCI layout, so both end with the
# same artefact. Prints wall seconds of each and the ratio ours/buildah (goal ≤ 1.0).
# Usage: bench/build-vs-buildah.sh [RUNS=1]
set -euo pipefail
source "$(dirname "$0")/tools/bench-lib.sh"
runs=${1:-1}

bench_build_cli
bench_start_registry
bench_publish_busybox
bench_publish_debian

ours() { # context, run id
  local out="$BENCH_WORK/ours-$2"
  "${ORCHESTRATE[@]}" executor -f Dockerfile -c "$1" --no-push --oci-layout-path "$out/layout" --cache-dir "$out/cache" \
    --build-arg "BUSYBOX=$BUSYBOX" --build-arg "DEBIAN=$DEBIAN" >"$out.log" 2>&1 || { cat "$out.log"; exit 1; }
}

theirs() { # context, run id
  local out="$BENCH_WORK/buildah-$2"
  local b=(buildah --storage-driver vfs --root "$out/root" --runroot "$out/run")
  { "${b[@]}" bud --isolation chroot --layers=false --tls-verify=false -q -t "localhost/bench:$2" \
      --build-arg "BUSYBOX=$BUSYBOX" --build-arg "DEBIAN=$DEBIAN" "$1" \
    && "${b[@]}" push -q "localhost/bench:$2" "oci:$out/layout:latest"; } >"$out.log" 2>&1 || { cat "$out.log"; exit 1; }
}

for case in apt multistage; do
  context="$BENCH_ROOT/bench/tools/$case"
  [ "$case" = multistage ] && context="$BENCH_ROOT/examples/multistage"
  ours_times=() their_times=()
  for i in $(seq "$runs"); do
    # Alternate who goes first so a warm mirror or page cache favours neither side.
    if (( i % 2 )); then
      t=$(now_ns); ours "$context" "$case-$i"; ours_times+=("$(seconds_since "$t")")
      t=$(now_ns); theirs "$context" "$case-$i"; their_times+=("$(seconds_since "$t")")
    else
      t=$(now_ns); theirs "$context" "$case-$i"; their_times+=("$(seconds_since "$t")")
      t=$(now_ns); ours "$context" "$case-$i"; ours_times+=("$(seconds_since "$t")")
    fi
  done
  o=$(printf '%s\n' "${ours_times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  b=$(printf '%s\n' "${their_times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-11s ours %6.2f s   buildah %6.2f s   ratio ours/buildah %.2f   (runs: ours %s | buildah %s)\n' \
    "$case" "$o" "$b" "$(awk -v o="$o" -v b="$b" 'BEGIN{print o/b}')" "${ours_times[*]}" "${their_times[*]}"
done
