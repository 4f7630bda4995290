#!/usr/bin/env bash
# Push then pull a ~500 MiB, 5-layer image (random bytes, gzip level 1 layers) between an OCI layout
# and a local docker-registry, with Orchestrator.Oci (bench/tools/OciCopy) and with skopeo, in the
# same run. Each tool gets its own fresh registry storage so neither finds the other's blobs.
# Prints MB/s (10^6 bytes/s of blob data moved) for both and the ratio ours/skopeo (goal >= 1.0).
set -euo pipefail

LAYERS=${LAYERS:-5}
MIB_PER_LAYER=${MIB_PER_LAYER:-100}
REPS=${REPS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/orchestrator-bench-XXXXXX)
REGISTRY_PID=""

cleanup() {
  if [[ -n "$REGISTRY_PID" ]]; then kill "$REGISTRY_PID" 2>/dev/null || true; wait "$REGISTRY_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

start_registry() { # $1 = storage folder; sets PORT and REGISTRY_PID
  if [[ -n "$REGISTRY_PID" ]]; then kill "$REGISTRY_PID"; wait "$REGISTRY_PID" 2>/dev/null || true; fi
  PORT=$(free_port)
  mkdir -p "$1"
  cat > "$WORK/registry.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $1
http:
  addr: 127.0.0.1:$PORT
YAML
  docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
  REGISTRY_PID=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/v2/" >/dev/null && return 0; sleep 0.1; done
  echo "registry did not start" >&2; cat "$WORK/registry.log" >&2; exit 1
}

seconds() { # runs "$@", prints elapsed wall seconds
  local start end
  # Flush the previous step's writes first, so no tool pays for another's disk writeback.
  sync
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$WORK/last.err" || { cat "$WORK/last.err" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

rate() { echo "scale=1; $BYTES / $1 / 1000000" | bc -l; }

# Published ReadyToRun, as a shipped command-line tool would be, so start-up is not mostly JIT.
echo "publishing OciCopy (Release, ReadyToRun)..." >&2
dotnet publish "$ROOT/bench/tools/OciCopy/OciCopy.csproj" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -v q -o "$WORK/ocicopy" >/dev/null
OCICOPY="$WORK/ocicopy/OciCopy"

echo "making a $LAYERS x $MIB_PER_LAYER MiB image (random data, gzip level 1)..." >&2
"$OCICOPY" make "$WORK/source" bench "$LAYERS" "$MIB_PER_LAYER" 2>&1 | grep made >&2
BYTES=$(du -sb "$WORK/source/blobs" | cut -f1)

# skopeo keeps a blob-info cache in $HOME; a private HOME keeps it from remembering earlier runs.
export HOME="$WORK/home"; mkdir -p "$HOME"
SKOPEO=(skopeo --insecure-policy)

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# The machine is shared, so the tools take turns, REPS rounds each, and the median counts.
OURS_PUSHES=(); OURS_PULLS=(); SKOPEO_PUSHES=(); SKOPEO_PULLS=(); OURS_PULLS_INPROC=()
took() { sed -n 's/^took \([0-9.]*\) s$/\1/p' "$WORK/last.err"; }
for rep in $(seq "$REPS"); do
  rm -rf "$WORK"/storage-* "$WORK"/pulled-*
  start_registry "$WORK/storage-ours-$rep"
  OURS_PUSHES+=("$(seconds "$OCICOPY" push "$WORK/source" bench "127.0.0.1:$PORT/bench/ours:1")")
  OURS_PULLS+=("$(seconds "$OCICOPY" pull "127.0.0.1:$PORT/bench/ours:1" "$WORK/pulled-ours" bench)")
  OURS_PULLS_INPROC+=("$(took)")

  rm -rf "$HOME"; mkdir -p "$HOME"
  start_registry "$WORK/storage-skopeo-$rep"
  SKOPEO_PUSHES+=("$(seconds "${SKOPEO[@]}" copy --dest-tls-verify=false "oci:$WORK/source:bench" "docker://127.0.0.1:$PORT/bench/skopeo:1")")
  SKOPEO_PULLS+=("$(seconds "${SKOPEO[@]}" copy --src-tls-verify=false "docker://127.0.0.1:$PORT/bench/skopeo:1" "oci:$WORK/pulled-skopeo:bench")")
  echo "round $rep: ours push ${OURS_PUSHES[-1]} s, pull ${OURS_PULLS[-1]} s; skopeo push ${SKOPEO_PUSHES[-1]} s, pull ${SKOPEO_PULLS[-1]} s" >&2
done
OURS_PUSH=$(median "${OURS_PUSHES[@]}"); OURS_PULL=$(median "${OURS_PULLS[@]}")
SKOPEO_PUSH=$(median "${SKOPEO_PUSHES[@]}"); SKOPEO_PULL=$(median "${SKOPEO_PULLS[@]}")
OURS_PULL_INPROC=$(median "${OURS_PULLS_INPROC[@]}")

# Same content both ways: the pulled manifests must have the source's digest.
SOURCE_DIGEST=$("${SKOPEO[@]}" inspect "oci:$WORK/source:bench" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')
for layout in pulled-ours pulled-skopeo; do
  got=$("${SKOPEO[@]}" inspect "oci:$WORK/$layout:bench" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')
  [[ "$got" == "$SOURCE_DIGEST" ]] || { echo "$layout has $got, expected $SOURCE_DIGEST" >&2; exit 1; }
done

printf 'image: %d layers, %.1f MB of blobs (random data, gzip level 1), local docker-registry over loopback, median of %d rounds\n' "$LAYERS" "$(echo "$BYTES / 1000000" | bc -l)" "$REPS"
printf '%-6s %14s %14s %8s\n' "" "orchestrator" "skopeo" "ratio"
printf '%-6s %9.2f s %5s %9.2f s %5s\n' push "$OURS_PUSH" "" "$SKOPEO_PUSH" ""
printf '%-6s %9s MB/s %9s MB/s %7.2fx\n' push "$(rate "$OURS_PUSH")" "$(rate "$SKOPEO_PUSH")" "$(echo "$SKOPEO_PUSH / $OURS_PUSH" | bc -l)"
printf '%-6s %9.2f s %5s %9.2f s %5s\n' pull "$OURS_PULL" "" "$SKOPEO_PULL" ""
printf '%-6s %9s MB/s %9s MB/s %7.2fx\n' pull "$(rate "$OURS_PULL")" "$(rate "$SKOPEO_PULL")" "$(echo "$SKOPEO_PULL / $OURS_PULL" | bc -l)"
printf 'orchestrator pull without process start-up (its own stopwatch): %.2f s, %s MB/s\n' "$OURS_PULL_INPROC" "$(rate "$OURS_PULL_INPROC")"
