#!/usr/bin/env bash
# Builds (once) the lab's base image: a bootable Debian bookworm root with a kernel, systemd,
# cloud-init, sshd, EL7's ZooKeeper (3.4, from Debian 11: see test/zookeeper34.sh) and Java,
# and dnf/rpm (so that midobake's
# EL-style package transactions run, as in test/e2e). Output in CACHE_DIR/lab-base/:
# root.tar.zst (the file system), vmlinuz, initrd.img. Booted with -kernel/-initrd: no boot
# loader. Usage: base-image.sh CACHE_DIR -> prints the directory. Concurrent callers wait.
# Output in CACHE_DIR/lab-base-HASH/ rather than lab-base/: see below.
set -euo pipefail
cache=${1:?usage: base-image.sh CACHE_DIR}
# The cache is keyed by the recipe's content (this script, the ZooKeeper and yum it installs):
# changing it builds a new image.
zk34="$(dirname "$0")/../zookeeper34.sh" yum34="$(dirname "$0")/../yum34.sh"
out="$cache/lab-base-$(cat "$0" "$zk34" "$yum34" | sha256sum | cut -c1-12)"
mkdir -p "$cache"
exec 9>"$cache/lab-base.lock"
flock 9
if [ -s "$out/root.tar.zst" ] && [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ]; then echo "$out"; exit 0; fi
for tool in debootstrap zstd; do
  command -v "$tool" >/dev/null || { echo "base-image.sh: $tool is not installed (apt-get install $tool)" >&2; exit 1; }
done
mirror=$(grep -hoE '^(URIs:|deb) *https?://[^ ]+' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
  | grep -v security | head -n1 | awk '{print $2}' || true)
[ -n "$mirror" ] || { echo "$(basename "$0"): no Debian mirror in /etc/apt/sources.list*: the tests use the machine's own" >&2; exit 1; }

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
# firewalld and chrony as on EL7: firewalld enabled, so every VM boots with it running and
# blocking what the cloud needs until the hook handles it; chrony (chrony.service, with the
# alias chronyd.service EL7's unit has) for the time step.
chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  liblog4j1.2-java libslf4j-java default-jre-headless dnf rpm firewalld chrony >&2
umount "$dir/proc"
rm -f "$dir/usr/sbin/policy-rc.d"
chroot "$dir" apt-get clean
rm -rf "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/locale/*
# Lean, so that images are made and VMs boot fast under TCG: only the kernel modules a VM on
# virtio with a bridge, veth and iptables uses (the whole tree is most of the root's size), an
# initrd with just the root disk's drivers, no periodic maintenance timers.
kver=$(ls "$dir/lib/modules")
for d in gpu media net/wireless net/ethernet net/can net/usb infiniband scsi staging usb bluetooth iio hid input/joystick input/touchscreen input/misc isdn mmc sound platform hwmon mtd video thunderbolt nfc w1 leds firewire edac; do
  rm -rf "$dir/lib/modules/$kver/kernel/drivers/$d"
done
# Drivers udev would load for the emulated PC's own devices (the IDE controller, floppy,
# SMBus, PS/2 mouse, cpufreq, KVM itself), which a virtio VM never uses: each probe costs
# seconds under TCG.
rm -rf "$dir/lib/modules/$kver/kernel/arch/x86/kvm" "$dir/lib/modules/$kver/kernel/drivers/"{ata,i2c,cpufreq,parport,input/mouse,char/hw_random}
find "$dir/lib/modules/$kver/kernel" -name 'floppy.ko*' -delete
rm -rf "$dir/lib/modules/$kver/kernel/sound" "$dir/lib/modules/$kver/kernel/fs/"{btrfs,xfs,ocfs2,gfs2,nfs,nfsd,ceph,cifs,smb,f2fs,jfs,reiserfs,nilfs2,ubifs}
chroot "$dir" depmod "$kver"
echo 'MODULES=list' > "$dir/etc/initramfs-tools/conf.d/lab"
printf '%s\n' virtio_pci virtio_blk virtio_net ext4 > "$dir/etc/initramfs-tools/modules"
chroot "$dir" update-initramfs -u -k "$kver" >&2
for u in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer e2scrub_reap.service getty@tty1.service; do
  ln -sf /dev/null "$dir/etc/systemd/system/$u"
done
# EL7's ZooKeeper: the 3.4 jar, which the lab's zookeeper package runs (see packages_test.go)
# as MidoNet's misc repository's package does.
jar=$(bash "$zk34" "$dir/usr/share/java")
rm -f "$dir/usr/share/java/.lock"
ln -sf "$(basename "$jar")" "$dir/usr/share/java/zookeeper.jar"
# dnf in a Debian root, as in test/e2e: rpm's database where dnf looks. yum is EL7's yum 3.4
# as it behaves (test/yum34.sh: a missing package is skipped and the install exits 0), over
# dnf, which moves out of PATH so that cloud-init's package module runs yum as on EL7 (its
# rhel distribution prefers dnf when there is one).
mkdir -p "$dir/etc/rpm" "$dir/usr/lib/midobake-test"
echo '%_dbpath /var/lib/rpm' > "$dir/etc/rpm/macros"
# (/usr/bin/dnf is a link to dnf-3, which stays: cloud-init looks for dnf by that name.)
dnf3=$(readlink -f "$dir/usr/bin/dnf")
rm "$dir/usr/bin/dnf"
ln -s "${dnf3#"$dir"}" "$dir/usr/lib/midobake-test/dnf"
install -m 755 "$yum34" "$dir/usr/bin/yum"
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
# The lab bakes over SSH as root with a password (Packer's qemu builder): a lab machine only,
# on a network of the test's own.
# The network comes from the kernel command line (lab.ip=ADDR/LEN, lab.gw=ADDR), set up
# between cloud-init's local and network stages as a distribution's networking would.
cat > "$dir/usr/local/sbin/lab-net" <<'SH'
#!/bin/sh
for arg in $(cat /proc/cmdline); do
  case "$arg" in lab.ip=*) ip=${arg#lab.ip=} ;; lab.gw=*) gw=${arg#lab.gw=} ;; esac
done
[ -n "$ip" ] || exit 0
# The NIC, not udev's device unit: under TCG, with several VMs at once, udev's coldplug can
# outlast the device unit's timeout while the kernel has long had eth0.
i=0; while ! [ -e /sys/class/net/eth0 ] && [ $i -lt 300 ]; do sleep 1; i=$((i+1)); done
ip link set lo up
ip addr add "$ip" dev eth0 2>/dev/null || true
ip link set eth0 up
[ -z "$gw" ] || ip route replace default via "$gw"
SH
chmod 755 "$dir/usr/local/sbin/lab-net"
cat > "$dir/etc/systemd/system/lab-net.service" <<'UNIT'
[Unit]
Description=lab: network from the kernel command line
DefaultDependencies=no
Wants=network-pre.target
After=cloud-init-local.service
Before=network-pre.target network.target network-online.target cloud-init.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/lab-net
[Install]
WantedBy=multi-user.target
UNIT
chroot "$dir" systemctl enable lab-net.service >&2
# cloud-init as EL7's: the rhel distribution (packages with dnf, the yum-add-repo module) and
# its module order: write-files at init, yum-add-repo and runcmd at config, packages first
# at final.
cat >> "$dir/etc/cloud/cloud.cfg.d/90-lab.cfg" <<'CFG'
system_info: {distro: rhel}
cloud_init_modules: [migrator, seed_random, bootcmd, write-files, set_hostname, update_hostname, update_etc_hosts, ssh]
cloud_config_modules: [yum-add-repo, runcmd]
cloud_final_modules: [package-update-upgrade-install, write-files-deferred, scripts-per-once, scripts-per-boot, scripts-per-instance, scripts-user, final-message]
CFG
# EL7's cloud-init runs after D-Bus, so hostnamectl (how its rhel distribution sets the host
# name) reaches systemd-hostnamed; Debian's runs before it. Where there is no bus yet, do what
# hostnamed would: write /etc/hostname and set the kernel's name.
cat > "$dir/usr/local/sbin/hostnamectl" <<'SH'
#!/bin/sh
if [ "$1" = set-hostname ] && [ $# = 2 ] && ! [ -S /run/dbus/system_bus_socket ]; then
  echo "$2" > /etc/hostname && exec hostname "$2"
fi
exec /usr/bin/hostnamectl "$@"
SH
chmod 755 "$dir/usr/local/sbin/hostnamectl"
# One host key type: RSA key generation alone costs tens of seconds under TCG.
echo 'ssh_genkeytypes: [ed25519]' >> "$dir/etc/cloud/cloud.cfg.d/90-lab.cfg"
echo 'root:lab' | chroot "$dir" chpasswd
mkdir -p "$dir/etc/ssh/sshd_config.d"
printf 'PermitRootLogin yes\nPasswordAuthentication yes\nUseDNS no\n' > "$dir/etc/ssh/sshd_config.d/lab.conf"
cat >> "$dir/etc/cloud/cloud.cfg.d/90-lab.cfg" <<'CFG'
disable_root: false
ssh_pwauth: true
CFG
mkdir -p "$out.tmp"
cp "$dir"/boot/vmlinuz-* "$out.tmp/vmlinuz"
cp "$dir"/boot/initrd.img-* "$out.tmp/initrd.img"
tar --zstd -C "$dir" -cf "$out.tmp/root.tar.zst" .
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out"
