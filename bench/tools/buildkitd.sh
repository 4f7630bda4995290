# Starts a private BuildKit daemon for an oracle or benchmark run (sourced by bench/cache-rebuild.sh and
# tests/Orchestrator.Tests/Conformance/buildkit/make-goldens.sh). As root: the OCI worker on runc, the overlayfs
# snapshotter, host network, no containerd worker, and one loopback registry marked plain HTTP.
#
#   start_buildkitd WORK REGISTRY     (BUILDKITD, BUILDCTL and RUNC set) → sets buildkitd_pid and buildkit_address
start_buildkitd() {
  local work="$1" registry="$2"
  cat > "$work/buildkitd.toml" <<TOML
[worker.oci]
  enabled = true
[worker.containerd]
  enabled = false
[registry."$registry"]
  http = true
  insecure = true
TOML
  buildkit_address="unix://$work/buildkitd.sock"
  "$BUILDKITD" --config "$work/buildkitd.toml" --root "$work/buildkitd-root" --addr "$buildkit_address" \
    --oci-worker-binary "$RUNC" --oci-worker-snapshotter overlayfs --oci-worker-net host --containerd-worker false \
    > "$work/buildkitd.log" 2>&1 &
  buildkitd_pid=$!
  for _ in $(seq 300); do
    "$BUILDCTL" --addr "$buildkit_address" debug workers >/dev/null 2>&1 && return 0
    kill -0 "$buildkitd_pid" 2>/dev/null || { echo "buildkitd stopped:" >&2; cat "$work/buildkitd.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "buildkitd did not answer within 30 s:" >&2; cat "$work/buildkitd.log" >&2; exit 1
}
