#!/usr/bin/env bash
# Runs real cloud-init (all four stages) on one user-data document, in an overlay of the test
# root file system, inside private mount/UTS/IPC/network/PID namespaces: nothing of the host
# changes, and the overlay's upper directory holds exactly what cloud-init changed.
#
# Environment:
#   ROOTFS    unpacked root file system (the overlay's read-only lower layer)    [required]
#   WORK      a new directory for this run: upper/ work/ merged/ and results     [required]
#   SEED      directory with user-data and meta-data for the NoCloud seed        [optional]
#   STUBS     directory of stand-in commands, installed first on PATH; a stub named
#             midobake also replaces /usr/bin/midobake                            [optional]
#   CMDLINE   kernel command line cloud-init sees (DEBUG_PROC_CMDLINE)           [optional]
#   SERVE     a command started in the namespace before cloud-init (a seed server);
#             SERVE_PORT is the loopback port to wait for                          [optional]
# Results in WORK: status.json (cloud-init's stage errors), output.log, upper/.
set -euo pipefail
: "${ROOTFS:?}" "${WORK:?}"
mkdir -p "$WORK/upper" "$WORK/work" "$WORK/merged"

exec unshare --mount --uts --ipc --net --pid --fork --propagation private bash -euo pipefail -c '
m=$WORK/merged
ip link set lo up
mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$WORK/upper,workdir=$WORK/work" "$m"
mount -t proc proc "$m/proc"
mount -t sysfs sysfs "$m/sys"
mount -t tmpfs tmpfs "$m/run"
mount --rbind /dev "$m/dev"
if [ -n "${SEED:-}" ]; then
  mkdir -p "$m/var/lib/cloud/seed/nocloud"
  cp "$SEED"/* "$m/var/lib/cloud/seed/nocloud/"
fi
if [ -n "${STUBS:-}" ]; then
  cp "$STUBS"/* "$m/usr/local/sbin/"
  if [ -e "$STUBS/midobake" ]; then cp "$STUBS/midobake" "$m/usr/bin/midobake"; fi
fi
if [ -n "${SERVE:-}" ]; then
  $SERVE > "$WORK/serve.log" 2>&1 &
  serve_pid=$!
  for i in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$SERVE_PORT) 2>/dev/null && break
    sleep 0.1
  done
fi
stage() {
  chroot "$m" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBUG_PROC_CMDLINE="${CMDLINE:-}" cloud-init "$@"
}
rc=0
{ stage init --local && stage init && stage modules --mode config && stage modules --mode final; } \
  > "$WORK/output.log" 2>&1 || rc=$?
cp "$m/var/lib/cloud/data/status.json" "$WORK/status.json" 2>/dev/null || echo "{}" > "$WORK/status.json"
if [ -n "${SERVE:-}" ]; then kill "$serve_pid" 2>/dev/null || true; fi
exit $rc
'
