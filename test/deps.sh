#!/usr/bin/env bash
# What the tests drive for real, installed on a Debian 12 machine (as root), or checked.
#   deps.sh           install everything (apt, and EL7's ZooKeeper 3.4 from Debian 11)
#   deps.sh --check   name each missing tool and how to install it, one line each; exit 1
#                     when one is missing
# .ci/run and "make deps" install; "make test" checks first.
set -euo pipefail
cd "$(dirname "$0")/.."
zk34_dir=/usr/local/share/midobake-test

# Each line: apt packages, then the commands or files that show they are there, and why.
needs=(
  "cloud-init python3|cloud-init|the real schema check and cloud-init's real modules run the user-data"
  "debootstrap zstd iproute2 util-linux bsdutils ca-certificates|debootstrap zstd ip unshare script|test/e2e builds Debian roots and runs cloud-init in namespaces"
  "openssh-server openssh-client|sshd ssh-keygen|the real packer build reaches its chroot over SSH"
  "zookeeper liblog4j1.2-java libslf4j-java iptables|java /usr/share/java/zookeeper.jar /usr/share/java/log4j-1.2.jar /usr/share/java/slf4j-log4j12.jar iptables|real ZooKeeper servers (3.4 on bookworm's log4j, 3.8 for a second run); the uplink script in a network namespace"
  "qemu-system-x86 qemu-utils cloud-image-utils e2fsprogs|qemu-system-x86_64 qemu-img cloud-localds debugfs|test/lab boots VMs under TCG"
  "createrepo-c gnupg|createrepo_c gpg|the lab's signed stand-in repository"
  "zsh fish|zsh fish|midobake completion's scripts are loaded by the real shells"
  "systemd|systemd-analyze|the hook unit's boot transaction and the backup units, verified"
  "firewalld dbus ipset|firewalld dbus-daemon|a real firewalld on its iptables backend reloads under the gateway's uplink"
)

has() { case $1 in /*) [ -e "$1" ] ;; *) command -v "$1" >/dev/null ;; esac; }

if [ "${1:-}" = --check ]; then
  missing=0
  for n in "${needs[@]}"; do
    IFS='|' read -r pkgs what why <<<"$n"
    for w in $what; do
      has "$w" || { echo "missing $w ($why): apt-get install $pkgs"; missing=1; }
    done
  done
  has "$zk34_dir/zookeeper-3.4.13.jar" || { echo "missing $zk34_dir/zookeeper-3.4.13.jar (EL7's ZooKeeper, every ZooKeeper test's): bash test/zookeeper34.sh $zk34_dir"; missing=1; }
  has go || { echo "missing go: install Go (go.mod names the version)"; missing=1; }
  [ $missing = 0 ] || echo "(sudo make deps installs all of them)"
  exit $missing
fi

[ "$(id -u)" = 0 ] || { echo "deps.sh installs packages: run it as root (sudo make deps)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
for n in "${needs[@]}"; do
  IFS='|' read -r pkgs _ why <<<"$n"
  echo "deps: $pkgs ($why)"
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $pkgs
done
# No systemd runs on a build machine, so nothing starts firewalld here; its package only
# brings the daemon the tests run in namespaces of their own.
bash test/zookeeper34.sh "$zk34_dir"
