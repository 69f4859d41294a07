#!/usr/bin/env bash
# Measures the whole "midobake render" process on a synthetic cloud (default 10,000 hosts):
# wall time and peak RSS (GNU time), next to cp -r of the same output tree on the same disk.
# Usage: test/bench/render.sh [HOSTS]
set -euo pipefail
hosts=${1:-10000}
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/midobake" ./cmd/midobake
"$work/midobake" example --hosts "$hosts" > "$work/cloud.yaml"
timer=/usr/bin/time
[ -x "$timer" ] || { echo "render.sh: GNU time is not installed (apt-get install time)" >&2; exit 1; }
measure() { # label command...: prints wall seconds and peak RSS
  "$timer" -f "%e %M" -o "$work/t" "${@:2}" >/dev/null
  read -r wall rss < "$work/t"
  printf '%-34s %8.2f s %8.1f MiB\n' "$1" "$wall" "$(echo "$rss / 1024" | bc -l)"
}
sync
printf '%-34s %10s %12s\n' "$hosts hosts" "wall" "peak RSS"
measure "midobake validate" "$work/midobake" validate -f "$work/cloud.yaml"
measure "midobake render (new output)" "$work/midobake" render -f "$work/cloud.yaml" -o "$work/out"
measure "midobake render (replace output)" "$work/midobake" render -f "$work/cloud.yaml" -o "$work/out"
measure "cp -r of that output" cp -r "$work/out" "$work/copy"
# A change in one host: its NC's template.
awk 'done || !/roles: \[nc\]\}/ {print; next} {sub(/roles: \[nc\]\}/, "template: agent-compute-medium, roles: [nc]}"); print; done=1}' \
  "$work/cloud.yaml" > "$work/cloud2.yaml"
measure "midobake diff (one host changed)" "$work/midobake" diff "$work/cloud.yaml" "$work/cloud2.yaml"
echo "files: $(find "$work/out" -type f -o -type l | wc -l), size: $(du -sh "$work/out" | cut -f1)"
