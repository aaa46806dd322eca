#!/usr/bin/env bash
# Sourced by the image scripts: podman with all of its state in $SCRATCH,
# set up for a machine with no image registry, no systemd and a hybrid
# cgroup layout (runc, not crun; cgroupfs; file events; ulimits within
# the hard limits, which podman's defaults exceed).

: "${SCRATCH:?}"
mkdir -p "$SCRATCH/root" "$SCRATCH/run" "$SCRATCH/tmp"

# Below the hard limits: runc cannot raise them (seen here: nproc past
# 32768 is refused though the hard limit reads 96362).
files=$(ulimit -Hn)
procs=$(ulimit -Hu)
[ "$files" = unlimited ] || [ "$files" -gt 65536 ] && files=65536
[ "$procs" = unlimited ] || [ "$procs" -gt 4096 ] && procs=4096
# shellcheck disable=SC2034 # used by the scripts that source this
ulimits=(--ulimit "nofile=$files:$files" --ulimit "nproc=$procs:$procs")

pm() {
    podman --root "$SCRATCH/root" --runroot "$SCRATCH/run" \
        --tmpdir "$SCRATCH/tmp" --storage-driver overlay \
        --cgroup-manager cgroupfs --events-backend file --runtime runc \
        "$@"
}
