#!/usr/bin/env bash
# Builds (once) the minimal Debian root file system the end-to-end tests run things in:
# real cloud-init, plus dnf/rpm/createrepo_c for EL-style package transactions.
# Usage: rootfs.sh CACHE_DIR   -> prints the path of CACHE_DIR/rootfs.tar.zst
#        rootfs.sh CACHE_DIR bullseye -> CACHE_DIR/rootfs-bullseye.tar.zst: Debian 11's root
#        with cloud-init 20.4.1 only, which, like EL7's 19.4, has no write_files defer
# Concurrent callers wait on a lock; the tarball is built once and reused.
set -euo pipefail
cache=${1:?usage: rootfs.sh CACHE_DIR [bullseye]}
suite=${2:-bookworm}
case $suite in bookworm|bullseye) ;; *) echo "rootfs.sh: suite $suite: use bookworm or bullseye" >&2; exit 2 ;; esac
mkdir -p "$cache"
tarball="$cache/rootfs.tar.zst"
[ "$suite" = bookworm ] || tarball="$cache/rootfs-$suite.tar.zst"
exec 9>"$cache/rootfs.lock"
flock 9
if [ -s "$tarball" ]; then echo "$tarball"; exit 0; fi

for tool in debootstrap zstd; do
  command -v "$tool" >/dev/null || { echo "rootfs.sh: $tool is not installed (apt-get install $tool)" >&2; exit 1; }
done
# Use the mirror this machine's apt uses: it is the one that is reachable.
mirror=$(grep -hoE '^(URIs:|deb) *https?://[^ ]+' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
  | grep -v security | head -n1 | awk '{print $2}' || true)
[ -n "$mirror" ] || { echo "$(basename "$0"): no Debian mirror in /etc/apt/sources.list*: the tests use the machine's own" >&2; exit 1; }

dir=$(mktemp -d "$cache/rootfs.build.XXXXXX")
chmod 755 "$dir"
trap 'umount "$dir/proc" 2>/dev/null || true; rm -rf "$dir"' EXIT
debootstrap --variant=minbase "$suite" "$dir" "$mirror" >&2
printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"
chmod 755 "$dir/usr/sbin/policy-rc.d"
mount -t proc proc "$dir/proc"
if [ "$suite" = bullseye ]; then
  chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    cloud-init=20.4.1-2+deb11u1 python3-cffi-backend >&2
else
  chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    cloud-init dnf rpm createrepo-c file >&2
fi
umount "$dir/proc"
chroot "$dir" apt-get clean
rm -rf "$dir"/var/lib/apt/lists/*
# dnf in a Debian root: rpm's database where dnf looks for it, yum as a name for dnf.
mkdir -p "$dir/etc/rpm"
echo '%_dbpath /var/lib/rpm' > "$dir/etc/rpm/macros"
ln -sf dnf "$dir/usr/bin/yum"
# cloud-init: NoCloud only (never probe metadata addresses), and only modules that are safe
# and meaningful in a chroot. The package module is left out: Debian's cloud-init would use apt.
mkdir -p "$dir/etc/cloud/cloud.cfg.d"
cat > "$dir/etc/cloud/cloud.cfg.d/99-midobake-test.cfg" <<'CFG'
datasource_list: [NoCloud, None]
unverified_modules: [yum-add-repo]
cloud_init_modules: [bootcmd, write-files, set_hostname, update_hostname, yum-add-repo]
cloud_config_modules: [runcmd]
cloud_final_modules: [write-files-deferred, scripts-user, final-message]
CFG
# cloud-init 20.4 has no write-files-deferred module (defer came with 21.4).
[ "$suite" = bookworm ] || sed -i 's/^cloud_final_modules: .*/cloud_final_modules: [scripts-user, final-message]/' "$dir/etc/cloud/cloud.cfg.d/99-midobake-test.cfg"
tmp="$tarball.tmp.$$"
tar --zstd -C "$dir" -cf "$tmp" .
mv "$tmp" "$tarball"
echo "$tarball"
