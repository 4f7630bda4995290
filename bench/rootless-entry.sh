#!/usr/bin/env bash
# What entering the rootless user namespace costs a non-root user: `dotnet orchestrate unshare -- true`
# in the namespace (probe, then the process executes itself again under unshare) and with
# ORCHESTRATOR_USERNS=off (no namespace), next to buildah's own entry, `buildah unshare true`.
# Prints the median of N runs of each (fresh processes) and the differences.
# Usage: bench/rootless-entry.sh [RUNS=9]        as a non-root user with ranges in /etc/subuid and /etc/subgid
#        sudo bench/rootless-entry.sh [RUNS=9] USER   as root: runs the measured commands as USER
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-9}
user=${2:-}

dotnet build src/Orchestrator.Cli -c Release -v q -nologo >/dev/null
cli="$PWD/src/Orchestrator.Cli/bin/Release/net10.0/dotnet-orchestrate.dll"
as_user() { if [ -n "$user" ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }
if [ -n "$user" ]; then chmod -R o+rX src/Orchestrator.Cli/bin/Release; fi
as_user sh -c 'unshare --user --map-root-user --map-auto true' \
  || { echo "this user has no subordinate id range (or newuidmap is missing): nothing to measure" >&2; exit 1; }

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_ms() { local t0 t1; t0=$(now); as_user "$@" >/dev/null 2>&1; t1=$(now); echo $(( (t1 - t0) / 1000000 )); }

inside=() outside=() buildah=()
for _ in $(seq "$runs"); do
  inside+=("$(time_ms env -u ORCHESTRATOR_USERNS dotnet "$cli" unshare -- true)")
  outside+=("$(time_ms env ORCHESTRATOR_USERNS=off dotnet "$cli" unshare -- true)")
  buildah+=("$(time_ms buildah unshare true)")
done
in_ms=$(printf '%s\n' "${inside[@]}" | median)
out_ms=$(printf '%s\n' "${outside[@]}" | median)
bu_ms=$(printf '%s\n' "${buildah[@]}" | median)
echo "runs: $runs each, median, user ${user:-$(id -un)}"
echo "orchestrate unshare, namespace:     ${in_ms} ms   runs: ${inside[*]}"
echo "orchestrate unshare, no namespace:  ${out_ms} ms   runs: ${outside[*]}"
echo "buildah unshare:                    ${bu_ms} ms   runs: ${buildah[*]}"
echo "entry cost: $(( in_ms - out_ms )) ms (ours) vs buildah's whole entry ${bu_ms} ms"
