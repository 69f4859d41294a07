#!/usr/bin/env bash
# Installs (once) EL7's ZooKeeper for the tests: MidoNet 5.2's misc repository ships ZooKeeper
# 3.4 (3.4.8), the NSDB our users run. Debian 11 packages 3.4.13 (libzookeeper-java), served by
# the same Debian registry as this machine's own packages: it is fetched with an apt state of
# its own (the machine's apt and its sources stay untouched: nothing else comes from bullseye)
# and unpacked. It runs on this machine's Java with bookworm's log4j 1.2 and slf4j (apt-get
# install liblog4j1.2-java libslf4j-java).
# Usage: zookeeper34.sh DEST -> prints DEST/zookeeper-3.4.13.jar. Concurrent callers wait.
set -euo pipefail
dest=${1:?usage: zookeeper34.sh DEST}
version=3.4.13-6+deb11u1
jar="$dest/zookeeper-3.4.13.jar"
mkdir -p "$dest"
exec 9>"$dest/.lock"
flock 9
if [ -s "$jar" ]; then echo "$jar"; exit 0; fi
# The mirror this machine's apt uses: it is the one that is reachable.
mirror=$(grep -hoE '^(URIs:|deb) *https?://[^ ]+' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
  | grep -v security | head -n1 | awk '{print $2}' || true)
[ -n "$mirror" ] || { echo "zookeeper34.sh: no Debian mirror in /etc/apt/sources.list*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "deb $mirror bullseye main" > "$work/sources.list"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
apt_() {
  apt-get -q -o Dir::Etc::sourcelist="$work/sources.list" -o Dir::Etc::sourceparts=/dev/null \
    -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" -o Dir::State::status=/dev/null \
    -o APT::Sandbox::User=root "$@"
}
apt_ update >&2
(cd "$work" && apt_ download "libzookeeper-java=$version" >&2)
dpkg-deb -x "$work"/libzookeeper-java_*.deb "$work/x"
cp "$work/x/usr/share/java/zookeeper-3.4.13.jar" "$jar.tmp"
mv "$jar.tmp" "$jar"
echo "$jar"
