#!/usr/bin/env bash
# Builds (once) the lab's base image: a bootable Debian bookworm root with a kernel, systemd,
# cloud-init, sshd, the real zookeeper package and Java, and dnf/rpm (so that midobake's
# EL-style package transactions run, as in test/e2e). Output in CACHE_DIR/lab-base/:
# root.tar.zst (the file system), vmlinuz, initrd.img. Booted with -kernel/-initrd: no boot
# loader. Usage: base-image.sh CACHE_DIR -> prints the directory. Concurrent callers wait.
set -euo pipefail
cache=${1:?usage: base-image.sh CACHE_DIR}
out="$cache/lab-base"
mkdir -p "$cache"
exec 9>"$cache/lab-base.lock"
flock 9
if [ -s "$out/root.tar.zst" ] && [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ]; then echo "$out"; exit 0; fi
for tool in debootstrap zstd; do
  command -v "$tool" >/dev/null || { echo "base-image.sh: $tool is not installed (apt-get install $tool)" >&2; exit 1; }
done
mirror=$(grep -hoE '^(URIs:|deb) *https?://[^ ]+' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
  | grep -v security | head -n1 | awk '{print $2}' || true)
mirror=${mirror:-http://deb.debian.org/debian}

dir=$(mktemp -d "$cache/lab-base.build.XXXXXX")
chmod 755 "$dir"
trap 'umount "$dir/proc" 2>/dev/null || true; rm -rf "$dir"' EXIT
# python3-cffi-backend: without it python3-cryptography fails to configure and cloud-init is
# left unconfigured.
debootstrap --variant=minbase \
  --include=systemd-sysv,linux-image-amd64,cloud-init,openssh-server,iproute2,netbase,udev,dbus,ca-certificates,python3-cffi-backend,iptables,procps \
  bookworm "$dir" "$mirror" >&2
printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"
chmod 755 "$dir/usr/sbin/policy-rc.d"
mount -t proc proc "$dir/proc"
chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  zookeeper default-jre-headless dnf rpm >&2
umount "$dir/proc"
rm -f "$dir/usr/sbin/policy-rc.d"
chroot "$dir" apt-get clean
rm -rf "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/*
# Debian's zookeeper is a library here: the lab's zookeeper package runs it (see standin/).
chroot "$dir" systemctl disable zookeeper.service >/dev/null 2>&1 || true
rm -f "$dir/etc/init.d/zookeeper"
# dnf in a Debian root, as in test/e2e: rpm's database where dnf looks, yum as dnf.
mkdir -p "$dir/etc/rpm"
echo '%_dbpath /var/lib/rpm' > "$dir/etc/rpm/macros"
ln -sf dnf "$dir/usr/bin/yum"
# A machine as a cloud image is: no identity, a persistent journal, the root on vda, one NIC
# named eth0 whose address the kernel command line sets (ip=), no cloud-init networking.
: > "$dir/etc/machine-id"
rm -f "$dir"/etc/ssh/ssh_host_*
echo '/dev/vda / ext4 defaults 0 1' > "$dir/etc/fstab"
mkdir -p "$dir/var/log/journal" "$dir/etc/cloud/cloud.cfg.d"
cat > "$dir/etc/cloud/cloud.cfg.d/90-lab.cfg" <<'CFG'
datasource_list: [NoCloud, None]
network: {config: disabled}
CFG
echo 'root:lab' | chroot "$dir" chpasswd
mkdir -p "$out.tmp"
cp "$dir"/boot/vmlinuz-* "$out.tmp/vmlinuz"
cp "$dir"/boot/initrd.img-* "$out.tmp/initrd.img"
tar --zstd -C "$dir" -cf "$out.tmp/root.tar.zst" .
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out"
