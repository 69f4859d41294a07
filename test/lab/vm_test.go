// Package lab boots whole clouds from what midobake makes: VMs under qemu (TCG: the nested
// KVM of these machines cannot run a stock kernel) from a Debian base image, seeded the way
// users seed them, and checks what happened on each from the inside. Each VM reports by
// itself: when its boot has no job left, it writes the journal and the state of its units
// to /var/log/lab/ and powers off; the test reads them from the disk image with debugfs.
package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/midobake/midobake/internal/testenv"
)

var (
	baseOnce sync.Once
	baseDir  string
	baseErr  error
)

// base returns the directory of the base image (root.tar.zst, vmlinuz, initrd.img), built
// once and cached in build/_cache.
func base(t *testing.T) string {
	t.Helper()
	for _, tool := range []struct{ cmd, pkg string }{
		{"qemu-system-x86_64", "qemu-system-x86"}, {"debootstrap", "debootstrap"}, {"zstd", "zstd"},
		{"mkfs.ext4", "e2fsprogs"}, {"debugfs", "e2fsprogs"}, {"cloud-localds", "cloud-image-utils"},
	} {
		testenv.Need(t, tool.cmd, "apt-get install "+tool.pkg)
	}
	if os.Geteuid() != 0 {
		testenv.Missing(t, "the lab needs root (debootstrap, chroot)")
	}
	baseOnce.Do(func() {
		cache := filepath.Join(testenv.RepoRoot(t), "build", "_cache")
		out, err := exec.Command("bash", "base-image.sh", cache).Output()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				err = fmt.Errorf("%v\n%s", err, ee.Stderr)
			}
			baseErr = err
			return
		}
		baseDir = strings.TrimSpace(string(out))
	})
	if baseErr != nil {
		t.Fatalf("base image: %v", baseErr)
	}
	return baseDir
}

// reportUnits make a VM report and power off once its boot has no job left (or after
// limit) and, in a cloud, every other host's too. They order themselves after nothing and
// hold up nothing. The report's uptime is when this host settled.
func reportUnits(limit time.Duration) map[string]string {
	return map[string]string{
		"/etc/systemd/system/lab-report.service": `[Unit]
Description=lab: report and power off when the boot has settled
DefaultDependencies=no
ConditionKernelCommandLine=lab.report
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/lab-report
`,
		"/etc/systemd/system/lab-report.timer": `[Unit]
DefaultDependencies=no
ConditionKernelCommandLine=lab.report
[Timer]
OnBootSec=15
[Install]
WantedBy=timers.target
`,
		"/usr/local/sbin/lab-report": fmt.Sprintf(`#!/bin/sh
# Wait until no job other than this one is queued (the boot has settled), at most %d s.
end=$(( $(cut -d. -f1 /proc/uptime) + %d ))
while [ "$(systemctl list-jobs --no-legend | grep -vc lab-report)" != 0 ] && [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do sleep 2; done
up=$(cut -d' ' -f1 /proc/uptime)
# Before it says it has settled, a host may wait for more (the CLC: for midobake status to
# say the cloud converged, while every other host still runs).
[ -x /usr/local/sbin/lab-pre-settle ] && /usr/local/sbin/lab-pre-settle
# A host of a cloud stays up until every host has settled (lab.ctl: the test's control
# server): the cloud converges across hosts, and a Midolman that powered off is not alive.
for arg in $(cat /proc/cmdline); do case "$arg" in lab.ctl=*) ctl=${arg#lab.ctl=} ;; esac; done
[ -z "$ctl" ] || python3 - "$ctl" "$(hostname)" "$up" "$end" <<'PY'
import subprocess, sys, time, urllib.request
ctl, name, up, end = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def uptime(): return float(open("/proc/uptime").read().split()[0])
while uptime() < end:
    try:
        urllib.request.urlopen("%%s/settled/%%s?uptime=%%s" %% (ctl, name, up), data=b"", timeout=5)
        break
    except Exception:
        time.sleep(2)
while uptime() < end:
    try:
        if urllib.request.urlopen(ctl + "/poweroff", timeout=5).status == 200:
            break
    except Exception:
        pass
    # While it waits, the test may ask this host for midobake status, as an operator on it
    # would run it (one argument per line); the output and exit status go back.
    try:
        r = urllib.request.urlopen("%%s/ask/%%s" %% (ctl, name), timeout=5)
        if r.status == 200:
            args = [a for a in r.read().decode().split("\n") if a]
            p = subprocess.run(["midobake", "status"] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            urllib.request.urlopen("%%s/answer/%%s?rc=%%d" %% (ctl, name, p.returncode), data=p.stdout, timeout=10)
            continue
    except Exception:
        pass
    time.sleep(2)
PY
mkdir -p /var/log/lab
n=$(ls /var/log/lab | grep -c '^boot-' || true)
d=/var/log/lab/boot-$n
mkdir -p $d
echo "$up" > $d/uptime
journalctl -b --no-pager -o short-monotonic > $d/journal.txt 2>&1
systemctl list-jobs --no-pager > $d/jobs.txt 2>&1
systemctl --failed --no-legend --plain > $d/failed.txt 2>&1
systemctl show -p ActiveState -p Result midobake-firstboot.service > $d/hook.txt 2>&1
cloud-init status --long > $d/cloud-init.txt 2>&1
[ -x /usr/local/sbin/lab-extra ] && /usr/local/sbin/lab-extra $d > $d/extra.txt 2>&1
sync
if [ -e /var/log/lab/reboot-once ]; then rm /var/log/lab/reboot-once; sync; systemctl reboot; else systemctl poweroff; fi
`, int(limit.Seconds()), int(limit.Seconds())),
		"/usr/local/sbin/lab-pre-settle": `#!/bin/sh
# On the CLC: the cloud's convergence signal, as an operator would take it, while every host
# still runs: midobake status --wait (its output and exit status go into the report).
systemctl -q is-enabled midonet-cluster 2>/dev/null || exit 0
command -v midobake >/dev/null || exit 0
midobake status --wait --interval 3s --timeout 600s > /run/lab-status.txt 2>&1
echo $? > /run/lab-status.rc
exit 0
`,
		"/usr/local/sbin/lab-extra": `#!/bin/sh
# What the cloud tests check on each host, gathered into the report directory $1.
d=$1
cp /var/lib/midolman/started.json $d/midolman-started.json 2>/dev/null
cp /var/lib/midobake/state.json $d/midobake-state.json 2>/dev/null
cp /var/lib/midobake/preflight.json $d/preflight.json 2>/dev/null
cp /var/log/cloud-init-output.log $d/cloud-init-output.log 2>/dev/null
cp /var/lib/midobake/report.json $d/midobake-report.json 2>/dev/null
cp /run/lab-status.txt $d/status.txt 2>/dev/null
cp /run/lab-status.rc $d/status.rc 2>/dev/null
journalctl -b -u midobake-firstboot --no-pager -o cat > $d/hook.log 2>&1
for u in zookeeper cassandra midonet-cluster midolman midobake-uplink midobake-firstboot midobake-enrol firewalld chronyd; do
  echo "$u $(systemctl is-active $u) $(systemctl is-enabled $u 2>/dev/null)"
done > $d/units.txt
ip -br addr > $d/addr.txt 2>&1
# The NSDB's ZooKeeper says which release it is (EL7's clouds run 3.4).
if systemctl -q is-enabled zookeeper 2>/dev/null; then
  python3 -c 'import socket; s = socket.create_connection(("127.0.0.1", 2181), 5); s.sendall(b"srvr"); print(s.recv(4096).decode())' > $d/zookeeper-srvr.txt 2>&1
fi
# The support bundle, as an operator would take it on the host (on the CLC once its API serves).
bundle() { midobake support --out-file $d/support.tar.gz --force > $d/support.txt 2>&1; echo $? > $d/support.rc; }
# The tunnel zones, from the API: on the CLC only (elsewhere nothing serves it).
systemctl -q is-enabled midonet-cluster 2>/dev/null || { bundle; exit 0; }
# The description's backup schedule: its timer, and one run of it now, as the timer would.
systemctl start midobake-backup.service > $d/backup-run.txt 2>&1; echo "rc $?" >> $d/backup-run.txt
echo "timer $(systemctl is-enabled midobake-backup.timer) $(systemctl is-active midobake-backup.timer)" >> $d/backup-run.txt
ls /var/lib/midobake/backups > $d/backups.txt 2>&1
python3 - > $d/tunnel-zones.json <<'PY'
import json, urllib.request
def get(path, mt):
    req = urllib.request.Request("http://127.0.0.1:8080/midonet-api" + path, headers={"Accept": mt})
    return json.load(urllib.request.urlopen(req, timeout=5))
import time
# After a reboot nothing waits for midonet-cluster's API (the hook has nothing left to do):
# give it two minutes to listen. Enrolment runs as a service (a pass every few seconds), so
# the last host to settle may be a pass away from membership: wait for every host MidoNet
# reports alive to be a member, within that time too.
for attempt in range(60):
    try:
        zones = get("/tunnel_zones", "application/vnd.org.midonet.collection.TunnelZone-v1+json")
        hosts = get("/hosts", "application/vnd.org.midonet.collection.Host-v3+json")
        for z in zones:
            z["members"] = get("/tunnel_zones/%s/hosts" % z["id"], "application/vnd.org.midonet.collection.TunnelZoneHost-v1+json")
        alive = set(h["id"] for h in hosts if h.get("alive"))
        members = set(m["hostId"] for z in zones for m in z["members"])
        if alive - members and attempt < 59:
            err = "not members yet: %s" % sorted(alive - members)
            time.sleep(2)
            continue
        print(json.dumps({"zones": zones, "hosts": hosts}))
        break
    except Exception as e:
        err = str(e)
        time.sleep(2)
else:
    print(json.dumps({"error": err}))
PY
bundle
`,
	}
}

// image is one VM's disk: the base root, changed by the test, as an ext4 image file, or a
// qcow2 overlay on a baked image.
type image struct {
	name   string
	dir    string // its working directory: disk, seed, console log
	disk   string
	format string // raw (default) or qcow2
	netns  string // the network namespace qemu runs in, if any
}

// newImage unpacks the base root, lets edit change it (root is the unpacked directory),
// adds the report units and makes the disk.
func newImage(t *testing.T, baseDir, name string, limit time.Duration, edit func(root string)) *image {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "tar", "--zstd", "-C", root, "-xf", filepath.Join(baseDir, "root.tar.zst"))
	if edit != nil {
		edit(root)
	}
	for path, content := range reportUnits(limit) {
		mode := os.FileMode(0o644)
		if strings.HasPrefix(content, "#!") {
			mode = 0o755
		}
		writeFile(t, filepath.Join(root, path), content, mode)
	}
	run(t, "systemctl", "--root="+root, "enable", "lab-report.timer")
	img := &image{name: name, dir: dir, disk: filepath.Join(dir, "disk.img")}
	run(t, "mkfs.ext4", "-q", "-L", "rootfs", "-d", root, img.disk, "3G")
	os.RemoveAll(root)
	return img
}

var (
	accelOnce sync.Once
	accel     string
)

// accelerator is "kvm" where KVM really runs the lab's kernel, else "tcg". /dev/kvm is not
// proof: on nested machines it opens and then fails in instruction emulation. The probe
// boots the kernel with no init to run: reaching the resulting panic means KVM works.
func accelerator(baseDir string) string {
	accelOnce.Do(func() {
		accel = "tcg"
		if _, err := os.Stat("/dev/kvm"); err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, _ := exec.CommandContext(ctx, "qemu-system-x86_64", "-accel", "kvm", "-m", "256", "-nodefaults",
			"-display", "none", "-serial", "stdio", "-no-reboot",
			"-kernel", filepath.Join(baseDir, "vmlinuz"), "-initrd", filepath.Join(baseDir, "initrd.img"),
			"-append", "console=ttyS0 panic=-1 rdinit=/lab-kvm-probe").CombinedOutput()
		if strings.Contains(string(out), "Kernel panic") {
			accel = "kvm"
		}
	})
	return accel
}

// kernelArgs boot every lab VM: the root on the first virtio disk, eth0 named so, and a
// quiet console.
const kernelArgs = "root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet"

// bootOpts say how one boot of a VM is wired.
type bootOpts struct {
	seedISO string   // a NoCloud cidata image, or ""
	cmdline string   // added to the kernel command line (ds=..., ip=...)
	netdev  []string // qemu -netdev/-device arguments; none: no network
	memory  int      // MiB
}

// boot runs the VM until it powers itself off (or reboots: -no-reboot ends qemu then too), at
// most timeout, and returns the seconds it ran.
func (img *image) boot(ctx context.Context, t *testing.T, baseDir string, o bootOpts, timeout time.Duration) (float64, error) {
	if o.memory == 0 {
		o.memory = 768
	}
	// No default devices (VGA, parallel port, floppy, CD): each costs probing under TCG, as
	// does every line on the serial console (quiet).
	args := []string{"-accel", accelerator(baseDir), "-m", fmt.Sprint(o.memory), "-smp", "1", "-nodefaults", "-no-user-config",
		"-display", "none", "-serial", "stdio", "-no-reboot",
		"-kernel", filepath.Join(baseDir, "vmlinuz"), "-initrd", filepath.Join(baseDir, "initrd.img"),
		"-append", kernelArgs + " lab.report " + o.cmdline,
		"-drive", "file=" + img.disk + ",format=" + img.diskFormat() + ",if=virtio"}
	if o.seedISO != "" {
		args = append(args, "-drive", "file="+o.seedISO+",format=raw,if=virtio,readonly=on")
	}
	if len(o.netdev) == 0 {
		args = append(args, "-nic", "none")
	}
	args = append(args, o.netdev...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	log, err := os.OpenFile(filepath.Join(img.dir, "console.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer log.Close()
	name := "qemu-system-x86_64"
	if img.netns != "" {
		args = append([]string{"netns", "exec", img.netns, name}, args...)
		name = "ip"
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = log, log
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start).Seconds()
	if ctx.Err() != nil {
		return took, fmt.Errorf("%s did not power off within %s (console: %s)", img.name, timeout, filepath.Join(img.dir, "console.log"))
	}
	return took, err
}

func (img *image) diskFormat() string {
	if img.format == "" {
		return "raw"
	}
	return img.format
}

// raw is the disk as a raw image, which debugfs reads: the disk itself, or a conversion of
// the qcow2 overlay made once per boot read.
func (img *image) raw(t *testing.T) string {
	t.Helper()
	if img.diskFormat() == "raw" {
		return img.disk
	}
	out := filepath.Join(img.dir, "disk.raw")
	st, err := os.Stat(img.disk)
	if rs, rerr := os.Stat(out); err == nil && rerr == nil && rs.ModTime().After(st.ModTime()) {
		return out
	}
	run(t, "qemu-img", "convert", "-O", "raw", img.disk, out)
	return out
}

// report reads a file the VM's report wrote for boot n (0 = first).
func (img *image) report(t *testing.T, n int, file string) string {
	t.Helper()
	out := filepath.Join(img.dir, fmt.Sprintf("boot-%d-%s", n, file))
	cmd := exec.Command("debugfs", "-R", fmt.Sprintf("dump /var/log/lab/boot-%d/%s %s", n, file, out), img.raw(t))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("debugfs: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("%s: no report %s of boot %d (console: %s)", img.name, file, n, filepath.Join(img.dir, "console.log"))
	}
	return string(b)
}

// seedISO writes a NoCloud cidata image with the user-data and meta-data.
func seedISO(t *testing.T, dir string, userData, metaData []byte) string {
	t.Helper()
	ud, md, iso := filepath.Join(dir, "user-data"), filepath.Join(dir, "meta-data"), filepath.Join(dir, "seed.iso")
	writeFile(t, ud, string(userData), 0o600)
	writeFile(t, md, string(metaData), 0o644)
	run(t, "cloud-localds", iso, ud, md)
	return iso
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}
