# Shared pieces of the build benchmarks: a throwaway registry, the two bases, our CLI, timing.
# Sourced by bench/build-vs-buildah.sh and bench/peak-rss.sh; everything lives under $BENCH_WORK.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_WORK=$(mktemp -d /tmp/orchestrator-bench-XXXXXX)
BENCH_CACHE=${ORCHESTRATOR_TEST_CACHE:-/tmp/orchestrator-test-cache}
REGISTRY_PID=""

bench_cleanup() {
  if [ -n "$REGISTRY_PID" ]; then kill "$REGISTRY_PID" 2>/dev/null || true; wait "$REGISTRY_PID" 2>/dev/null || true; fi
  # buildah's vfs storage can hold read-only folders; make them writable before deleting.
  chmod -R u+w "$BENCH_WORK" 2>/dev/null || true
  rm -rf "$BENCH_WORK"
}
trap bench_cleanup EXIT

now_ns() { date +%s%N; }
seconds_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN{printf "%.2f", (b-a)/1e9}'; }

# Our executor, published once in Release for this platform as the executor image ships it (build.csx): the CLI's
# executor build, one native program (Native AOT; needs clang and zlib1g-dev).
bench_build_cli() {
  local rid
  case $(uname -m) in x86_64) rid=linux-x64;; aarch64) rid=linux-arm64;; *) rid=linux-$(uname -m);; esac
  dotnet publish "$BENCH_ROOT/src/Orchestrator.Cli" -c Release -r "$rid" -p:OrchestratorExecutorOnly=true \
    -o "$BENCH_WORK/cli" -v q -nologo >/dev/null
  ORCHESTRATE=("$BENCH_WORK/cli/dotnet-orchestrate")
}

bench_start_registry() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$BENCH_WORK/registry"
  cat > "$BENCH_WORK/registry/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $BENCH_WORK/registry/storage
http:
  addr: 127.0.0.1:$port
YAML
  docker-registry serve "$BENCH_WORK/registry/config.yml" >"$BENCH_WORK/registry/log" 2>&1 &
  REGISTRY_PID=$!
  REGISTRY=127.0.0.1:$port
  for _ in $(seq 100); do curl -fs "http://$REGISTRY/v2/" >/dev/null && return 0; sleep 0.1; done
  echo "registry did not start" >&2; exit 1
}

# Pushes a root filesystem tarball as a one-layer image with buildah (its own storage, deleted after).
bench_publish_tarball() {
  local tarball=$1 reference=$2 storage="$BENCH_WORK/publish-storage"
  local b=(buildah --storage-driver vfs --root "$storage/root" --runroot "$storage/run")
  local container
  container=$("${b[@]}" from scratch)
  "${b[@]}" add "$container" "$tarball" / >/dev/null
  "${b[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$container"
  "${b[@]}" commit -q "$container" "localhost/base" >/dev/null
  "${b[@]}" push -q --tls-verify=false "localhost/base" "docker://$reference"
  "${b[@]}" rm -a >/dev/null; "${b[@]}" rmi -a -f >/dev/null 2>&1 || true
  chmod -R u+w "$storage" 2>/dev/null || true; rm -rf "$storage"
}

# busybox base from Debian's busybox-static: /bin/busybox, its applets, /etc/passwd, /tmp.
bench_publish_busybox() {
  local rootfs="$BENCH_WORK/busybox-rootfs"
  mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"; done
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\n' > "$rootfs/etc/group"
  chmod 1777 "$rootfs/tmp"
  tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -cf "$BENCH_WORK/busybox.tar" .
  BUSYBOX=$REGISTRY/bench/busybox:1
  bench_publish_tarball "$BENCH_WORK/busybox.tar" "$BUSYBOX"
}

# Debian bookworm minbase from the tests' cached mmdebstrap tarball (made here when missing).
bench_publish_debian() {
  local tarball="$BENCH_CACHE/debian-bookworm-minbase.tar"
  if [ ! -f "$tarball" ]; then
    mkdir -p "$BENCH_CACHE"
    mmdebstrap --variant=minbase --format=tar --quiet bookworm "$tarball.tmp-$$" && mv "$tarball.tmp-$$" "$tarball"
  fi
  DEBIAN=$REGISTRY/bench/debian:bookworm
  bench_publish_tarball "$tarball" "$DEBIAN"
}
