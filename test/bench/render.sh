#!/usr/bin/env bash
# Measures the whole "midobake render" process on a synthetic cloud (default 10,000 hosts):
# wall time and peak RSS (GNU time), side by side with cp -r of the same output tree on the
# same disk, in rounds (this kind of disk's speed drifts from minute to minute: each round
# measures everything once, the medians are reported). Everything is synced before each
# measurement, so no step pays for the dirty pages of the one before it, and render and cp
# take turns going first.
# Usage: test/bench/render.sh [HOSTS] [ROUNDS]
set -euo pipefail
hosts=${1:-10000}
rounds=${2:-3}
cd "$(dirname "$0")/../.."
timer=/usr/bin/time
[ -x "$timer" ] || { echo "render.sh: GNU time is not installed (apt-get install time)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The binary make build ships (static, trimmed), not a test build.
make -s build BIN="$work/bin" >/dev/null
mb=$work/bin/midobake
"$mb" example --hosts "$hosts" > "$work/cloud.yaml"
# A change in one host: its NC's template.
awk 'done || !/roles: \[nc\]\}/ {print; next} {sub(/roles: \[nc\]\}/, "template: agent-compute-medium, roles: [nc]}"); print; done=1}' \
  "$work/cloud.yaml" > "$work/cloud2.yaml"

measure() { # key command...: appends "key wall rss_kib" to the results
  sync
  "$timer" -f "%e %M" --out-dir "$work/t" "${@:2}" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  echo "$1 $(cat "$work/t")" >> "$work/results"
}
# cp copies an output rendered beforehand, so render and cp can take turns going first: on
# a disk mounted with discard the one after a large removal pays for it.
"$mb" render -f "$work/cloud.yaml" --out-dir "$work/ref" >/dev/null 2>&1
for ((r = 1; r <= rounds; r++)); do
  rm -rf "$work/out" "$work/copy" "$work/copy2"
  sync; sleep 3
  if ((r % 2)); then
    measure render-new "$mb" render -f "$work/cloud.yaml" --out-dir "$work/out"
    measure cp cp -r "$work/ref" "$work/copy"
  else
    measure cp cp -r "$work/ref" "$work/copy"
    measure render-new "$mb" render -f "$work/cloud.yaml" --out-dir "$work/out"
  fi
  measure cp-sync sh -c 'cp -r "$1" "$2" && sync' sh "$work/ref" "$work/copy2"
  # Replacing the output with that of a description one host changed: a re-render, as in use.
  measure render-replace "$mb" render -f "$work/cloud2.yaml" --out-dir "$work/out"
  measure rm rm -rf "$work/copy"
  measure validate "$mb" validate -f "$work/cloud.yaml"
  measure diff "$mb" diff "$work/cloud.yaml" "$work/cloud2.yaml"
done

median() { # key field: the median of that field over the rounds
  awk -v k="$1" -v f="$2" '$1 == k { print $f }' "$work/results" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
row() { # key label
  printf '%-40s %8.2f s %8.1f MiB\n' "$2" "$(median "$1" 2)" "$(echo "$(median "$1" 3) / 1024" | bc -l)"
}
ratio() { # label a b: a's median wall over b's
  printf '%-40s %8.2f\n' "$1" "$(echo "$(median "$2" 2) / $(median "$3" 2)" | bc -l)"
}
printf '%-40s %10s %12s   (median of %d rounds)\n' "$hosts hosts" "wall" "peak RSS" "$rounds"
row validate "midobake validate"
row render-new "midobake render (new output)"
row render-replace "midobake render (replace, 1 host changed)"
row diff "midobake diff (one host changed)"
row cp "cp -r of that output"
row cp-sync "cp -r of that output, then sync"
row rm "rm -rf of that output"
ratio "render (new) / cp -r" render-new cp
ratio "render (replace) / cp -r" render-replace cp
printf '%-40s %8.2f\n' "render (replace) / (cp -r + rm -rf)" \
  "$(echo "$(median render-replace 2) / ($(median cp 2) + $(median rm 2))" | bc -l)"
echo "each round's wall time (s), in the order measured:"
awk '{ w[$1] = w[$1] sprintf(" %6.2f", $2); if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
  END { for (i = 1; i <= n; i++) printf "  %-16s%s\n", order[i], w[order[i]] }' "$work/results"
echo "files: $(find "$work/out" -type f -o -type l | wc -l), size: $(du -sh "$work/out" | cut -f1)"
