#!/usr/bin/env bash
# Builds a yum repository of small stand-in RPMs named like MidoNet's packages, for bakes
# with a real package transaction (dnf/rpm) without the real, long gone repositories.
# Each installs the files its real package owns (config files as %config(noreplace)) and,
# in %post, does what the real one does that a bake must undo: "systemctl enable" its
# service, and create host identity (MidoNet host ID, ZooKeeper myid, Cassandra data).
# Usage: standin-repo.sh ROOTFS_TARBALL OUT_DIR   (OUT_DIR gets the repository and base.rpm)
set -euo pipefail
tarball=${1:?} out=${2:?}
# The cache is keyed by this script's content: changing the recipe builds the repository anew.
stamp=$(sha256sum "$0" | cut -c1-12)
[ -s "$out/repodata/repomd.xml" ] && [ "$(cat "$out/.recipe" 2>/dev/null)" = "$stamp" ] && exit 0
work=$(mktemp -d)
trap 'umount "$work/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
tar --zstd -C "$work" -xf "$tarball"
mount -t proc proc "$work/proc"
mkdir -p "$work/root/rpmbuild/SPECS"

# spec NAME SERVICE 'install commands' 'files' 'post commands' [extra header lines]
spec() {
  cat > "$work/root/rpmbuild/SPECS/$1.spec" <<SPEC
Name: $1
Version: 1.0
Release: 1
Summary: Stand-in for $1 (midobake tests)
License: MIT
BuildArch: noarch
${6:-}
%description
Stand-in for $1, named like the real package, for midobake's bake tests.
%install
mkdir -p %{buildroot}
$3
%files
$4
%post
$5
SPEC
}
hostid='echo "host_uuid=$(cat /proc/sys/kernel/random/uuid)" > /etc/midonet_host_id.properties'
spec base "" "" "" "" "Provides: /bin/sh /bin/bash /usr/bin/sh /usr/bin/bash bash
Provides: system-release(releasever) = 7"
spec java-1.8.0-openjdk-headless "" "" "" ""
spec nmap-ncat "" "" "" ""
spec chrony "" "" "" ""
spec python-midonetclient "" "" "" ""
spec midonet-tools "" "mkdir -p %{buildroot}/usr/bin && printf '#!/bin/sh\nexit 0\n' > %{buildroot}/usr/bin/mn-conf && chmod 755 %{buildroot}/usr/bin/mn-conf" "/usr/bin/mn-conf" ""
spec midolman midolman "mkdir -p %{buildroot}/etc/midolman
printf '[zookeeper]\nzookeeper_hosts = 127.0.0.1:2181\n' > %{buildroot}/etc/midolman/midolman.conf
for f in compute.medium compute.large gateway.medium gateway.large; do echo \"MAX_HEAP_SIZE=\$f\" > %{buildroot}/etc/midolman/midolman-env.sh.\$f; done" \
  "%config(noreplace) /etc/midolman/midolman.conf
/etc/midolman/midolman-env.sh.*" "systemctl enable midolman
$hostid"
spec midonet-cluster midonet-cluster "mkdir -p %{buildroot}/etc/midonet %{buildroot}/etc/midonet-cluster
printf '[zookeeper]\nzookeeper_hosts = 127.0.0.1:2181\n' > %{buildroot}/etc/midonet/midonet.conf
printf 'MAX_HEAP_SIZE=2048M\nHEAP_NEWSIZE=1024M\n' > %{buildroot}/etc/midonet-cluster/midonet-cluster-env.sh" \
  "%config(noreplace) /etc/midonet/midonet.conf
%config(noreplace) /etc/midonet-cluster/midonet-cluster-env.sh" "systemctl enable midonet-cluster
$hostid"
spec zookeeper zookeeper "mkdir -p %{buildroot}/etc/zookeeper && echo 'dataDir=/var/lib/zookeeper/data' > %{buildroot}/etc/zookeeper/zoo.cfg" \
  "%config(noreplace) /etc/zookeeper/zoo.cfg" "systemctl enable zookeeper
mkdir -p /var/lib/zookeeper/data/version-2 && echo 1 > /var/lib/zookeeper/data/myid"
spec dsc22 cassandra "mkdir -p %{buildroot}/etc/cassandra/conf && echo \"cluster_name: 'Test Cluster'\" > %{buildroot}/etc/cassandra/conf/cassandra.yaml" \
  "%config(noreplace) /etc/cassandra/conf/cassandra.yaml" "systemctl enable cassandra
mkdir -p /var/lib/cassandra/data/system"

for s in "$work"/root/rpmbuild/SPECS/*.spec; do
  chroot "$work" env HOME=/root rpmbuild -bb --quiet "/root/rpmbuild/SPECS/$(basename "$s")" >&2
done
mkdir -p "$out.tmp"
cp "$work"/root/rpmbuild/RPMS/noarch/*.rpm "$out.tmp/"
mv "$out.tmp/base-1.0-1.noarch.rpm" "$out.tmp/base.rpm.tmp"
mkdir -p "$work/srv/repo" && cp "$out.tmp"/*.rpm "$work/srv/repo/"
chroot "$work" createrepo_c --quiet /srv/repo >&2
cp -r "$work/srv/repo/repodata" "$out.tmp/"
mv "$out.tmp/base.rpm.tmp" "$out.tmp/base.rpm"
echo "$stamp" > "$out.tmp/.recipe"
rm -rf "$out" && mv "$out.tmp" "$out"
