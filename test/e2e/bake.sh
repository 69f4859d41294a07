#!/usr/bin/env bash
# Bakes one profile with the real packer: the generated templates, midobake's plugin, the
# null builder over SSH into a chroot. sshd (own config, key auth, ChrootDirectory=ROOT) and
# packer run in private network, mount and PID namespaces, so the build touches only ROOT.
#
# Environment (all required):
#   ROOT         unpacked root file system to bake (every path component root-owned, 0755)
#   REPO         the stand-in package repository (standin-repo.sh), served at /srv/repo
#   PACKER       the packer binary;   PACKER_DIR  the rendered packer/ directory
#   PACKER_PLUGIN_PATH  where the midobake plugin is installed
#   WORK         a directory for keys, configuration and logs
#   ONLY         the build to run (a profile's build name)
# Further arguments are passed to "packer build" (-var settings).
set -euo pipefail
: "${ROOT:?}" "${REPO:?}" "${PACKER:?}" "${PACKER_DIR:?}" "${PACKER_PLUGIN_PATH:?}" "${WORK:?}" "${ONLY:?}"

# The image's starting point: the stand-in repository, the base packages an EL image has
# (a files-less RPM providing /bin/sh for scriptlets), and a systemctl that does what the
# real one does offline (enable/disable symlinks) and logs it.
mkdir -p "$ROOT/srv/repo"
cp -r "$REPO"/*.rpm "$REPO/repodata" "$ROOT/srv/repo/"
rm -f "$ROOT/srv/repo/base.rpm"
cp "$REPO/base.rpm" "$ROOT/tmp/base.rpm"
chroot "$ROOT" rpm -i --quiet /tmp/base.rpm
rm -f "$ROOT/tmp/base.rpm"
# yum as EL7's yum 3.4 behaves (tolerant of missing names unless told otherwise), over dnf.
rm -f "$ROOT/usr/bin/yum"
cp "$(dirname "$0")/../yum34.sh" "$ROOT/usr/bin/yum"
chmod 755 "$ROOT/usr/bin/yum"
# A package the repository must lack, for the test of a bake that cannot get everything.
if [ -n "${DROP:-}" ]; then
  rm -f "$ROOT/srv/repo/$DROP"-[0-9]*.rpm
  chroot "$ROOT" createrepo_c --quiet /srv/repo
fi
# D-Bus's machine ID, as an EL7 image has it (the bake must empty it).
mkdir -p "$ROOT/var/lib/dbus"
echo 0123456789abcdef0123456789abcdef > "$ROOT/var/lib/dbus/machine-id"
cat > "$ROOT/usr/bin/systemctl" <<'STUB'
#!/bin/sh
echo "systemctl $*" >> /var/log/systemctl.log
verb=$1; shift
for unit in "$@"; do
  unit=${unit%.service}
  link=/etc/systemd/system/multi-user.target.wants/$unit.service
  case $verb in
    enable) mkdir -p "${link%/*}"; ln -sf "/etc/systemd/system/$unit.service" "$link" ;;
    disable) rm -f "$link" ;;
  esac
done
exit 0
STUB
chmod 755 "$ROOT/usr/bin/systemctl"

rm -f "$WORK/id" "$WORK/id.pub" "$WORK/host_key" "$WORK/host_key.pub"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/id"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/host_key"
cp "$WORK/id.pub" "$WORK/authorized_keys"
port=2222
cat > "$WORK/sshd_config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $WORK/host_key
PidFile $WORK/sshd.pid
AuthorizedKeysFile $WORK/authorized_keys
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
ChrootDirectory $ROOT
CFG

export port
exec unshare --net --mount --pid --fork --propagation private bash -euo pipefail -c '
ip link set lo up
mount -t proc proc "$ROOT/proc"
mkdir -p /run/sshd
/usr/sbin/sshd -f "$WORK/sshd_config" -E "$WORK/sshd.log"
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
rc=0
CHECKPOINT_DISABLE=1 PACKER_NO_COLOR=1 "$PACKER" build -color=false -only "$ONLY.*" \
  -var ssh_host=127.0.0.1 -var "ssh_port=$port" -var "ssh_private_key_file=$WORK/id" "$@" "$PACKER_DIR" || rc=$?
kill "$(cat "$WORK/sshd.pid")" 2>/dev/null || true
umount "$ROOT/proc"
exit $rc
' bake "$@"
