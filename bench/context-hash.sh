#!/usr/bin/env bash
# Cost of exact cache keys over a large build context (build-cache issue, part 1). Makes a context of
# FILES files and MIB MiB (default 50,000 files, 1 GiB; .dockerignore'd logs on top), keys
# `FROM scratch / COPY . /app/ / ENV / RUN` cold (empty cache: every file read and hashed, both cores) and
# warm (the hash memo is valid: a stat per file, no content read), each in a fresh process, and prints
# the figures side by side with peers over the same files: `sha256sum` on 2 cores and `tar | sha256sum`
# (cold: what hashing the bytes costs anyway) and a `find -printf` stat walk (warm: what any
# change detection must at least do). Goals: warm <= 0.5 s, cold at hashing speed.
# Usage: bench/context-hash.sh [FILES] [MIB]
set -euo pipefail
. "$(dirname "$0")/tools/bench-lib.sh"
files=${1:-50000}
mib=${2:-1024}
here="$BENCH_ROOT/bench/tools/ContextHash"
# ReadyToRun for this platform, as the tool package users install compiles the same library.
case $(uname -m) in aarch64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
dotnet publish "$here/ContextHash.csproj" -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o "$BENCH_WORK/context-hash-tool" -v q -nologo >/dev/null
tool=(dotnet "$BENCH_WORK/context-hash-tool/ContextHash.dll")
# The same tool compiled to native code, as the executor image's build of the CLI is (Native AOT, no background GC;
# needs clang and zlib1g-dev).
dotnet publish "$here/ContextHash.csproj" -c Release -r "$rid" -p:PublishAot=true -p:ConcurrentGarbageCollection=false -o "$BENCH_WORK/context-hash-native" -v q -nologo >/dev/null
native=("$BENCH_WORK/context-hash-native/ContextHash")

context="$BENCH_WORK/context"
python3 - "$context" "$files" "$mib" <<'PY'
import os, random, sys
root, files, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(42)
total = mib << 20
large = min(50, files // 100)              # a few big files (assets, archives) hold 40% of the bytes
large_size = (total * 4 // 10) // max(large, 1)
small = files - large
small_avg = (total - large * large_size) // max(small, 1)
def write(path, size):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(rng.randbytes(size))
for i in range(large):
    write(f"{root}/assets/blob-{i:03}.bin", large_size)
for i in range(small):                     # 100 files per folder, two levels deep
    write(f"{root}/src/m{i // 10000:02}/p{i // 100 % 100:02}/f{i % 100:02}.dat", rng.randint(small_avg // 2, small_avg * 3 // 2))
for i in range(200):                       # excluded by .dockerignore: never read
    write(f"{root}/logs/run-{i}.log", 4096)
with open(f"{root}/.dockerignore", "w") as f:
    f.write("logs\n*.log\n")
PY
printf 'FROM scratch\nCOPY . /app/\nENV MODE=release\nRUN ["/app/build"]\n' > "$BENCH_WORK/Dockerfile"
bytes=$(du -sb --exclude=logs "$context" | cut -f1)
# The memo skips files changed in the 2 s before they are read (file times are coarse): let the new context age.
sleep 2.5

TIMEFORMAT='%R %U %S'
timed() { # label, command...: runs once; sets $wall and $cpu (user+system seconds) and $out (its stdout)
  local times
  times=$( { time "${@:2}" >"$BENCH_WORK/out" 2>/dev/null; } 2>&1 ) || true
  out=$(cat "$BENCH_WORK/out")
  wall=$(awk '{printf "%.3f", $1}' <<<"$times"); cpu=$(awk '{printf "%.3f", $2 + $3}' <<<"$times")
}
key() { timed "$1" "${tool[@]}" --context "$context" --dockerfile "$BENCH_WORK/Dockerfile" --cache "$BENCH_WORK/cache"; }
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$out"; }

timed start "${tool[@]}"; start_wall=$wall; start_cpu=$cpu
key cold;  cold_wall=$wall; cold_cpu=$cpu; cold_ms=$(field keys-ms); cold_bytes=$(field bytes-hashed)
cold_out=$out
key warm;  warm_wall=$wall; warm_cpu=$cpu; warm_ms=$(field keys-ms); warm_bytes=$(field bytes-hashed); warm_hits=$(field memo-hits)
warm_out=$out
timed native "${native[@]}" --context "$context" --dockerfile "$BENCH_WORK/Dockerfile" --cache "$BENCH_WORK/cache"
native_wall=$wall; native_cpu=$cpu; native_ms=$(field keys-ms); native_out=$out
[ "$(grep sha256 <<<"$native_out")" = "$(grep sha256 <<<"$warm_out")" ] || { echo "native and ReadyToRun keys differ" >&2; exit 1; }
[ "$(grep sha256 <<<"$cold_out")" = "$(grep sha256 <<<"$warm_out")" ] || { echo "cold and warm keys differ" >&2; exit 1; }
timed peer bash -c "cd '$context' && find . -path ./logs -prune -o -type f -print0 | xargs -0 -P2 -n 500 sha256sum >/dev/null"; sha_wall=$wall; sha_cpu=$cpu
timed peer bash -c "tar -C '$context' --exclude=./logs -cf - . | sha256sum >/dev/null"; tar_wall=$wall; tar_cpu=$cpu
timed peer bash -c "find '$context' -path '$context/logs' -prune -o -printf '%s %T@ %C@ %i %p\\n' | sha256sum >/dev/null"; walk_wall=$wall; walk_cpu=$cpu

grep sha256 <<<"$warm_out"
awk -v files="$files" -v bytes="$bytes" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" -v cores="$(nproc)" \
    -v sw="$start_wall" -v sc="$start_cpu" \
    -v cw="$cold_wall" -v cc="$cold_cpu" -v cm="$cold_ms" -v cb="$cold_bytes" \
    -v ww="$warm_wall" -v wc="$warm_cpu" -v wm="$warm_ms" -v wb="$warm_bytes" -v wh="$warm_hits" \
    -v nw="$native_wall" -v nc="$native_cpu" -v nm="$native_ms" \
    -v shw="$sha_wall" -v shc="$sha_cpu" -v tw="$tar_wall" -v tc="$tar_cpu" -v kw="$walk_wall" -v kc="$walk_cpu" 'BEGIN {
  mb = bytes / 1e6
  printf "context: %d files, %.0f MB (+200 .dockerignored files); %d cores, load average %s\n\n", files, mb, cores, load
  printf "%-42s %8s %8s %12s %8s\n", "", "wall s", "cpu s", "in-process s", "MB/s"
  printf "%-42s %8.2f %8.2f %12.2f %8.0f  %d MB read\n", "cold: keys, empty cache", cw, cc, cm / 1000, mb / cw, cb / 1e6
  printf "%-42s %8.2f %8.2f %12s %8.0f\n", "  peer: find | xargs -P2 sha256sum", shw, shc, "", mb / shw
  printf "%-42s %8.2f %8.2f %12s %8.0f\n", "  peer: tar | sha256sum", tw, tc, "", mb / tw
  printf "%-42s %8.2f %8.2f %12.2f %8s  %d MB read, %d memo hits\n", "warm: keys, memo valid", ww, wc, wm / 1000, "", wb / 1e6, wh
  printf "%-42s %8.2f %8.2f %12.2f\n", "warm: keys, memo valid, native build", nw, nc, nm / 1000
  printf "%-42s %8.2f %8.2f\n", "  peer: find -printf stat walk | sha256sum", kw, kc
  printf "%-42s %8.2f %8.2f\n", "  .NET process start (usage message only)", sw, sc
  printf "\nratios (wall): cold/sha256sum-P2 %.2f, cold/tar-sha256sum %.2f, warm/stat-walk %.1f, cold/warm %.1f\n", cw / shw, cw / tw, ww / kw, cw / ww
  printf "goals: warm <= 0.5 s: %s (wall %.2f s, cpu %.2f s; native build %s: wall %.2f s); cold at hashing speed: %.0f MB/s vs sha256sum on 2 cores %.0f MB/s\n", (ww <= 0.5 ? "met" : "missed"), ww, wc, (nw <= 0.5 ? "met" : "missed"), nw, mb / cw, mb / shw
}'
