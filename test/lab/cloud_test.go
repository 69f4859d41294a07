package lab

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/preflight"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/support"
)

// labHost is how the lab boots one host of cloud.yaml.
type labHost struct {
	name, address, mac string
	profile            string // the golden image it boots from; "" for the plain base image
	seed               string // "serve" (NoCloud-net through SMBIOS, the PXE path) or "iso"
	memory             int
}

func labHosts(t *testing.T) (*cloud.Cloud, []labHost) {
	t.Helper()
	data, err := os.ReadFile("cloud.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, rep := cloud.Load("cloud.yaml", data)
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	var out []labHost
	for _, h := range c.Hosts {
		lh := labHost{name: h.Name, address: h.Address, mac: h.MAC, profile: h.Profile(), seed: "serve", memory: 640}
		if h.Name == "node3" { // the plain image with the full user-data, from a cidata ISO
			lh.profile, lh.seed = "", "iso"
		}
		if h.Has(cloud.RoleZooKeeper) {
			lh.memory = 1280 // ZooKeeper's JVM
		}
		out = append(out, lh)
	}
	return c, out
}

// labBase makes the image every VM of the cloud starts from: the base root, with the lab's
// rpm stand-in for the EL shell and release, and the report units, as qcow2.
func labBase(t *testing.T, baseDir, repo, work string) string {
	t.Helper()
	rpms, _ := filepath.Glob(filepath.Join(repo, "lab-base-*.rpm"))
	if len(rpms) != 1 {
		t.Fatalf("want one lab-base rpm in %s, got %v", repo, rpms)
	}
	img := newImage(t, baseDir, "base", 20*time.Minute, func(root string) {
		run(t, "cp", rpms[0], filepath.Join(root, "tmp/lab-base.rpm"))
		run(t, "chroot", root, "rpm", "-i", "--nodeps", "--noscripts", "/tmp/lab-base.rpm")
		os.Remove(filepath.Join(root, "tmp/lab-base.rpm"))
	})
	out := filepath.Join(work, "base.qcow2")
	run(t, "qemu-img", "convert", "-O", "qcow2", img.disk, out)
	os.Remove(img.disk)
	return out
}

// TestCloud bakes the golden images with the real Packer (qemu builder), boots the cloud on a
// network of its own, checks every host from the inside, reboots every VM and checks again.
func TestCloud(t *testing.T) {
	// Where the run's time went, in the log: each phase's end, from the test's start.
	began, last := time.Now(), time.Now()
	lap := func(phase string) {
		t.Logf("lab: %-28s %6.0f s (+%.0f s)", phase, time.Since(began).Seconds(), time.Since(last).Seconds())
		last = time.Now()
	}
	baseDir := base(t)
	repo := standinRepo(t)
	packer, plugins := packerEnv(t)
	c, hosts := labHosts(t)
	work := workDir(t)
	mb := filepath.Join(binDir, "midobake")
	summary := map[string]float64{}
	lap("base image, repository, packer")

	// Render what users render: the output, and templates for a qemu source of their own.
	run(t, mb, "validate", "--strict", "-f", "cloud.yaml")
	out := filepath.Join(work, "out")
	run(t, mb, "render", "-f", "cloud.yaml", "--packer-source", "qemu.lab", "--out-dir", out)
	net := newLabNet(t)
	net.start(t, work, "repo", labGateway+":8081", "python3", "-m", "http.server", "--bind", labGateway, "--directory", repo, "8081")
	// Golden-image hosts get thin seeds: the site data by reference, fetched from serve.
	net.start(t, work, "serve", labGateway+":8000", mb, "serve", "-f", "cloud.yaml", "--mode", "baked", "--listen", labGateway+":8000",
		"--site-url", "http://"+labGateway+":8000/site/", "--max-user-data", "16KiB")
	// The late host's description: the cloud and node4, which the CLC's copy never names.
	late := filepath.Join(work, "late.yaml")
	writeFile(t, late, string(lateCloud(t)), 0o644)
	net.start(t, work, "serve-late", labGateway+":8001", mb, "serve", "-f", late, "--mode", "baked", "--listen", labGateway+":8001",
		"--site-url", "http://"+labGateway+":8001/site/")
	ctl := net.serveControl(t, labGateway+":8082")
	baseQcow := labBase(t, baseDir, repo, work)
	lap("render, serve, base qcow2")
	summary["bare-boot-seconds"] = bareBoot(t, net, ctl, baseQcow, baseDir, hosts, work)
	lap("bare boot")

	// Bake every profile's golden image, in parallel, each with its own packer process.
	pk := filepath.Join(work, "packer")
	run(t, "cp", "-r", filepath.Join(out, "packer"), pk)
	writeFile(t, filepath.Join(pk, "lab-source.pkr.hcl"), labSource, 0o644)
	cloudFile, _ := filepath.Abs("cloud.yaml")
	profiles := map[string]string{} // profile -> image
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range profilesOf(hosts) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			build := strings.ReplaceAll(p, "+", "-")
			outDir := filepath.Join(work, "bake-"+build)
			cmd := exec.Command("ip", "netns", "exec", net.ns, packer, "build", "-only", build+".*",
				"-var", "cloud_file="+cloudFile, "-var", "hook_binary="+mb, "-var", "manifest_dir="+work,
				"-var", "lab_base="+baseQcow, "-var", "lab_kernel="+filepath.Join(baseDir, "vmlinuz"),
				"-var", "lab_initrd="+filepath.Join(baseDir, "initrd.img"), "-var", "lab_output="+outDir,
				"-var", "lab_accel="+accelerator(baseDir), ".")
			cmd.Dir = pk
			cmd.Env = append(os.Environ(), "PACKER_PLUGIN_PATH="+plugins, "CHECKPOINT_DISABLE=1", "PACKER_LOG=0")
			start := time.Now()
			b, err := cmd.CombinedOutput()
			os.WriteFile(filepath.Join(work, "bake-"+build+".log"), b, 0o644)
			mu.Lock()
			defer mu.Unlock()
			summary["bake-seconds-"+build] = time.Since(start).Seconds()
			if err != nil {
				t.Errorf("packer build %s: %v\n%s", build, err, tail(string(b), 40))
				return
			}
			profiles[p] = filepath.Join(outDir, "image.qcow2")
		}()
	}
	wg.Wait()
	lap("bake")
	if t.Failed() {
		t.FailNow()
	}
	for p, img := range profiles {
		checkHygiene(t, p, img, work)
	}
	lap("hygiene")
	if t.Failed() {
		t.FailNow()
	}

	// Boot the cloud: every VM at once.
	vms := map[string]*image{}
	opts := map[string]bootOpts{}
	for _, h := range hosts {
		dir := filepath.Join(work, "vm-"+h.name)
		os.MkdirAll(dir, 0o755)
		backing := baseQcow
		if h.profile != "" {
			backing = profiles[h.profile]
		}
		img := &image{name: h.name, dir: dir, disk: filepath.Join(dir, "disk.qcow2"), format: "qcow2", netns: net.ns}
		run(t, "qemu-img", "create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", img.disk)
		o := bootOpts{memory: h.memory, netdev: net.tap(t, h.mac),
			cmdline: fmt.Sprintf("lab.ip=%s/24 lab.gw=%s lab.ctl=%s", h.address, labGateway, labControlURL)}
		switch h.seed {
		case "serve":
			o.netdev = append(o.netdev, "-smbios", "type=1,serial=ds=nocloud-net;s=http://"+labGateway+":8000/"+h.name+"/")
		case "iso":
			ud, err := os.ReadFile(filepath.Join(out, "hosts", h.name, "user-data"))
			if err != nil {
				t.Fatal(err)
			}
			md, _ := os.ReadFile(filepath.Join(out, "hosts", h.name, "meta-data"))
			o.seedISO = seedISO(t, dir, ud, md)
		}
		vms[h.name], opts[h.name] = img, o
	}
	// The late host: node4, from the nc image with the late description's seed, booted once the
	// rebooted cloud has settled.
	node4 := &image{name: "node4", dir: filepath.Join(work, "vm-node4"), format: "qcow2", netns: net.ns}
	node4.disk = filepath.Join(node4.dir, "disk.qcow2")
	os.MkdirAll(node4.dir, 0o755)
	run(t, "qemu-img", "create", "-q", "-f", "qcow2", "-b", profiles["nc"], "-F", "qcow2", node4.disk)
	node4Opts := bootOpts{memory: 640, netdev: append(net.tap(t, lateMAC), "-smbios", "type=1,serial=ds=nocloud-net;s=http://"+labGateway+":8001/node4/"),
		cmdline: fmt.Sprintf("lab.ip=%s/24 lab.gw=%s lab.ctl=%s", lateAddress, labGateway, labControlURL)}

	for boot := 0; boot < 2; boot++ {
		key := "converged-seconds"
		if boot == 0 {
			ctl.expect(len(vms))
			bootAll(t, vms, opts, baseDir)
		} else {
			key = "reboot-converged-seconds"
			ctl.expect(len(vms) + 1)
			summary["late-host-enrolled-seconds"] = rebootWithLateHost(t, net, ctl, vms, opts, node4, node4Opts, baseDir, late, summary)
		}
		lap(fmt.Sprintf("boot %d", boot))
		summary[key] = settled(t, vms, boot)
		checkCloud(t, c, hosts, vms, boot)
		if boot == 0 {
			checkSiteByReference(t, hosts, vms)
		}
		lap(fmt.Sprintf("boot %d checks", boot))
		if t.Failed() {
			break
		}
	}
	writeSummary(t, summary)
}

// checkSiteByReference: the golden-image hosts' seeds carried the site data by reference;
// their hooks fetched it from serve and verified it.
func checkSiteByReference(t *testing.T, hosts []labHost, vms map[string]*image) {
	t.Helper()
	for _, h := range hosts {
		if h.seed != "serve" {
			continue
		}
		out := vms[h.name].report(t, 0, "cloud-init-output.log")
		if !strings.Contains(out, "site data: fetched http://"+labGateway+":8000/site/cloud.yaml, verified") {
			t.Errorf("%s: the hook did not fetch the site data by reference:\n%s", h.name, tail(out, 30))
		}
	}
}

// workDir is where the lab keeps its images, seeds and the VMs' reports: a temporary
// directory, or LAB_WORK (kept after the run, to read what a failed boot left).
func workDir(t *testing.T) string {
	dir := os.Getenv("LAB_WORK")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, t.Name())
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func profilesOf(hosts []labHost) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range hosts {
		if h.profile != "" && !seen[h.profile] {
			seen[h.profile] = true
			out = append(out, h.profile)
		}
	}
	sort.Strings(out)
	return out
}

// bootAll boots every VM at once and waits for all to report and power off.
func bootAll(t *testing.T, vms map[string]*image, opts map[string]bootOpts, baseDir string) {
	t.Helper()
	bootEach(t, vms, opts, baseDir)
	if t.Failed() {
		t.FailNow()
	}
}

// bootEach is bootAll for a goroutine of the test: failures are reported, not fatal.
func bootEach(t *testing.T, vms map[string]*image, opts map[string]bootOpts, baseDir string) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	for name, vm := range vms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := vm.boot(context.Background(), t, baseDir, opts[name], 25*time.Minute); err != nil {
				mu.Lock()
				t.Errorf("%s: %v", name, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// settled is when the last VM's boot n had settled (no job left: every hook done), in
// seconds of its uptime: the VMs were powered on together.
func settled(t *testing.T, vms map[string]*image, n int) float64 {
	t.Helper()
	var max float64
	for _, vm := range vms {
		var up float64
		if _, err := fmt.Sscan(vm.report(t, n, "uptime"), &up); err != nil {
			t.Errorf("%s: uptime: %v", vm.name, err)
		}
		if up > max {
			max = up
		}
	}
	return max
}

// bareBoot boots as many VMs as the cloud has from the base image at once, each with an
// empty cloud-config, to cloud-init done: the floor this machine sets for that many guests.
func bareBoot(t *testing.T, net *labNet, ctl *labControl, baseQcow, baseDir string, hosts []labHost, work string) float64 {
	t.Helper()
	vms := map[string]*image{}
	opts := map[string]bootOpts{}
	for i, h := range hosts {
		name := fmt.Sprintf("bare%d", i)
		dir := filepath.Join(work, "vm-"+name)
		os.MkdirAll(dir, 0o755)
		img := &image{name: name, dir: dir, disk: filepath.Join(dir, "disk.qcow2"), format: "qcow2", netns: net.ns}
		run(t, "qemu-img", "create", "-q", "-f", "qcow2", "-b", baseQcow, "-F", "qcow2", img.disk)
		vms[name] = img
		opts[name] = bootOpts{memory: h.memory, netdev: net.tap(t, fmt.Sprintf("52:54:00:00:06:%02x", i)),
			cmdline: fmt.Sprintf("lab.ip=10.111.5.%d/24 lab.gw=%s lab.ctl=%s", 100+i, labGateway, labControlURL),
			seedISO: seedISO(t, dir, []byte("#cloud-config\n{}\n"), []byte("instance-id: iid-"+name+"\nlocal-hostname: "+name+"\n"))}
	}
	ctl.expect(len(vms))
	bootAll(t, vms, opts, baseDir)
	for _, vm := range vms {
		if ci := vm.report(t, 0, "cloud-init.txt"); !strings.Contains(ci, "status: done") {
			t.Errorf("bare boot %s: cloud-init did not finish:\n%s", vm.name, ci)
		}
	}
	took := settled(t, vms, 0)
	for _, vm := range vms {
		os.Remove(vm.disk)
		os.Remove(filepath.Join(vm.dir, "disk.raw"))
	}
	return took
}

// checkHygiene: a golden image carries nothing that identifies a host, and its services are
// disabled (the hook starts them, configured, at first boot).
func checkHygiene(t *testing.T, profile, qcow, work string) {
	t.Helper()
	raw := filepath.Join(work, "hygiene-"+strings.ReplaceAll(profile, "+", "-")+".raw")
	run(t, "qemu-img", "convert", "-O", "raw", qcow, raw)
	defer os.Remove(raw)
	for _, p := range []string{roles.HostIDPath, roles.ZooKeeperDataDir + "/myid", "/var/lib/cloud/instance", "/var/lib/cloud/instances", "/var/lib/midobake/state.json", "/var/log/cloud-init-output.log"} {
		if out, _ := exec.Command("debugfs", "-R", "stat "+p, raw).CombinedOutput(); !strings.Contains(string(out), "File not found") {
			t.Errorf("%s: the golden image has %s", profile, p)
		}
	}
	out, _ := exec.Command("debugfs", "-R", "ls -l /etc/ssh", raw).CombinedOutput()
	if strings.Contains(string(out), "ssh_host_") {
		t.Errorf("%s: the golden image has SSH host keys:\n%s", profile, out)
	}
	out, _ = exec.Command("debugfs", "-R", "cat /etc/machine-id", raw).CombinedOutput()
	if id := strings.TrimSpace(regexp.MustCompile(`(?m)^debugfs.*$`).ReplaceAllString(string(out), "")); id != "" {
		t.Errorf("%s: the golden image has a machine id %q", profile, id)
	}
	out, _ = exec.Command("debugfs", "-R", "ls /etc/systemd/system/multi-user.target.wants", raw).CombinedOutput()
	// firewalld too: the cloud's firewall.mode is disable, and the bake did what the hook does.
	for _, u := range []string{"midolman.service", "zookeeper.service", "cassandra.service", "midonet-cluster.service", "firewalld.service"} {
		if strings.Contains(string(out), u) {
			t.Errorf("%s: the golden image starts %s by itself", profile, u)
		}
	}
	if !strings.Contains(string(out), "midobake-firstboot.service") {
		t.Errorf("%s: the golden image does not enable the first-boot hook:\n%s", profile, out)
	}
}

// checkCloud asserts, on every host, what the boot n reported.
func checkCloud(t *testing.T, c *cloud.Cloud, hosts []labHost, vms map[string]*image, n int) {
	t.Helper()
	top := roles.Resolve(c)
	cycle := regexp.MustCompile(`(?i)ordering cycle|deleted to break`)
	for _, h := range hosts {
		vm := vms[h.name]
		where := fmt.Sprintf("%s, boot %d (reports in %s)", h.name, n, vm.dir)
		if ci := vm.report(t, n, "cloud-init.txt"); !strings.Contains(ci, "status: done") {
			t.Errorf("%s: cloud-init did not finish cleanly:\n%s", where, ci)
		}
		if n == 0 && h.profile == "" {
			// A plain image's first boot: the unit arrives with the full user-data, after
			// boot has passed it by; cloud-init's runcmd runs the hook (the unit, from the
			// next boot on).
			if out := vm.report(t, n, "cloud-init-output.log"); !strings.Contains(out, "midobake firstboot: host "+h.name+" is finished") {
				t.Errorf("%s: the hook did not finish from cloud-init:\n%s", where, tail(out, 30))
			}
		} else if hook := vm.report(t, n, "hook.txt"); !strings.Contains(hook, "ActiveState=active") || !strings.Contains(hook, "Result=success") {
			t.Errorf("%s: midobake-firstboot.service did not succeed: %s\n%s", where, hook, tail(vm.report(t, n, "hook.log"), 30))
		}
		if failed := strings.TrimSpace(vm.report(t, n, "failed.txt")); failed != "" {
			t.Errorf("%s: failed units:\n%s", where, failed)
		}
		if m := cycle.FindString(vm.report(t, n, "journal.txt")); m != "" {
			t.Errorf("%s: the journal has an ordering cycle (%q)", where, m)
		}
		if n == 1 {
			if log := vm.report(t, n, "hook.log"); !strings.Contains(log, " 0 steps done") {
				t.Errorf("%s: the hook did work again after the reboot:\n%s", where, tail(log, 20))
			}
		}
		// EL7's firewalld runs at boot on a stock host (the base image, node3's): the hook
		// stopped and disabled it (the description's default; golden images come without it,
		// the bake having done the same), and the time service runs.
		units := vm.report(t, n, "units.txt")
		if n == 0 && h.profile == "" {
			if out := vm.report(t, n, "cloud-init-output.log"); !strings.Contains(out, "firewall: done (firewalld stopped and disabled") {
				t.Errorf("%s: the hook did not stop and disable the running firewalld:\n%s", where, tail(out, 40))
			}
		}
		if !strings.Contains(units, "firewalld inactive disabled") || !strings.Contains(units, "chronyd active") {
			t.Errorf("%s: firewalld is not stopped and disabled, or chronyd is not running:\n%s", where, units)
		}
		var pre preflight.Report
		if err := json.Unmarshal([]byte(vm.report(t, n, "preflight.json")), &pre); err != nil || pre.Host != h.name {
			t.Errorf("%s: no preflight report of the hook: %v", where, err)
		} else if n == 0 {
			preflights[h.name] = pre.Summary()
		}
		hostRec, _ := c.Host(h.name)
		if hostRec.Has(cloud.RoleZooKeeper) {
			if srvr := vm.report(t, n, "zookeeper-srvr.txt"); !strings.Contains(srvr, "Zookeeper version: 3.4.") || !strings.Contains(srvr, "Mode: ") {
				t.Errorf("%s: the NSDB is not EL7's ZooKeeper 3.4 serving: %s", where, srvr)
			}
		}
		if top.RunsMidolman(hostRec) {
			var started map[string]string
			if err := json.Unmarshal([]byte(vm.report(t, n, "midolman-started.json")), &started); err != nil {
				t.Errorf("%s: Midolman's start record: %v", where, err)
			} else if want := strings.Join(top.CassandraServers(), ","); started["cassandra.servers"] != want {
				t.Errorf("%s: Midolman started with cassandra.servers %q, want %q: it started before the NSDB settings were in place", where, started["cassandra.servers"], want)
			}
		}
		if hostRec.Has(cloud.RoleCLC) && !strings.Contains(vm.report(t, n, "units.txt"), "midobake-enrol active enabled") {
			t.Errorf("%s: the enrolment service is not running:\n%s", where, vm.report(t, n, "units.txt"))
		}
		checkSupportBundle(t, where, vm.report(t, n, "support.rc"), vm.report(t, n, "support.tar.gz"), hostRec.Has(cloud.RoleCLC))
		if b, on := c.BackupPlan(); on && b.Host == h.name {
			// One backup a boot, the newest Keep kept: 1 after the first boot, 2 after the reboot.
			ran := vm.report(t, n, "backup-run.txt")
			files := strings.Fields(vm.report(t, n, "backups.txt"))
			if !strings.Contains(ran, "rc 0") || !strings.Contains(ran, "timer enabled active") || len(files) != min(n+1, b.Keep) {
				t.Errorf("%s: the backup schedule: %s\nbackups: %v", where, ran, files)
			}
			for _, f := range files {
				if !regexp.MustCompile(`^` + c.Name + `-\d{8}T\d{6}Z\.backup$`).MatchString(f) {
					t.Errorf("%s: %s in the backup directory", where, f)
				}
			}
		}
		if c.Gateway(hostRec) != nil {
			units := vm.report(t, n, "units.txt")
			if !strings.Contains(units, "midobake-uplink active") || !strings.Contains(vm.report(t, n, "addr.txt"), "uplinkbridge") {
				t.Errorf("%s: the gateway's uplink is not up:\n%s\n%s", where, units, vm.report(t, n, "addr.txt"))
			}
		}
	}
	// The tunnel zone, as the CLC's API reports it: every Midolman host at its tunnel address.
	var clc string
	for _, h := range hosts {
		if hr, _ := c.Host(h.name); hr.Has(cloud.RoleCLC) {
			clc = h.name
		}
	}
	var tz struct {
		Error string `json:"error"`
		Zones []struct {
			Name    string `json:"name"`
			Members []struct {
				HostID    string `json:"hostId"`
				IPAddress string `json:"ipAddress"`
			} `json:"members"`
		} `json:"zones"`
		Hosts []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"hosts"`
	}
	// midobake status --wait on the CLC, while every host still ran: the cloud's convergence
	// signal, which the lab's own checks (above and below) must agree with.
	statusOut := vms[clc].report(t, n, "status.txt")
	t.Logf("%s, boot %d: midobake status --wait:\n%s", clc, n, statusOut)
	if rc := strings.TrimSpace(vms[clc].report(t, n, "status.rc")); rc != "0" || !strings.HasSuffix(strings.TrimSpace(statusOut), "cloud "+c.Name+": converged") {
		t.Errorf("%s, boot %d: midobake status --wait did not say converged (exit %q)", clc, n, rc)
	}
	for _, h := range hosts {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(h.name) + ` `).MatchString(statusOut) {
			t.Errorf("%s, boot %d: midobake status has no line for %s", clc, n, h.name)
		}
	}
	raw := vms[clc].report(t, n, "tunnel-zones.json")
	if err := json.Unmarshal([]byte(raw), &tz); err != nil || tz.Error != "" || len(tz.Zones) != 1 {
		t.Errorf("%s, boot %d: the tunnel zones: %v %s", clc, n, err, raw)
		return
	}
	names := map[string]string{}
	for _, h := range tz.Hosts {
		names[h.ID] = h.Name
	}
	got := map[string]string{}
	for _, m := range tz.Zones[0].Members {
		got[names[m.HostID]] = m.IPAddress
	}
	want := map[string]string{}
	for _, h := range top.Agents {
		want[h.Name] = h.TunnelAddress
	}
	if n == 1 {
		want["node4"] = lateAddress // the late host, which the CLC's description does not name
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("boot %d: tunnel zone %s holds %v, want %v", n, tz.Zones[0].Name, got, want)
	}
}

// checkSupportBundle: midobake support, run on the host as an operator would, made a bundle
// whose index says the real commands and journals were gathered (and on the CLC MidoNet's
// view), each item redacted and bounded.
func checkSupportBundle(t *testing.T, where, rc, archive string, clc bool) {
	t.Helper()
	if strings.TrimSpace(rc) != "0" {
		t.Errorf("%s: midobake support exited %q", where, rc)
		return
	}
	gz, err := gzip.NewReader(strings.NewReader(archive))
	if err != nil {
		t.Errorf("%s: the support bundle: %v", where, err)
		return
	}
	tr := tar.NewReader(gz)
	files := map[string]string{}
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(io.LimitReader(tr, 64<<20))
		files[path.Base(path.Dir(h.Name))+"/"+path.Base(h.Name)] = string(b)
		files[h.Name] = string(b)
	}
	var idx support.Index
	for name, b := range files {
		if strings.HasSuffix(name, "/index.json") {
			json.Unmarshal([]byte(b), &idx)
		}
	}
	status := map[string]support.Entry{}
	for _, e := range idx.Entries {
		status[e.Name] = e
	}
	want := []string{"journal/midobake-firstboot.txt", "host/ip-addr.txt", "host/ip-link.txt", "host/ip-route.txt", "host/packages.txt",
		"files/var/lib/midobake/state.json", "files/var/lib/midobake/report.json", "files/etc/midobake/cloud.yaml"}
	if clc {
		want = append(want, "journal/zookeeper.txt", "files/etc/zookeeper/zoo.cfg", "midonet/hosts.json", "midonet/tunnel-zones.json")
	} else {
		want = append(want, "journal/midolman.txt", "files/etc/midolman/midolman.conf")
	}
	for _, name := range want {
		if e := status[name]; e.Status != support.StatusOK || e.Bytes == 0 {
			t.Errorf("%s: the support bundle's %s: %+v", where, name, e)
		}
	}
}

// preflights are each host's preflight on its first boot, for the summary.
var preflights = map[string]string{}

func writeSummary(t *testing.T, summary map[string]float64) {
	t.Helper()
	var keys []string
	for k := range summary {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "accelerator: %s\n", accel)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %.1f\n", k, summary[k])
	}
	var names []string
	for h := range preflights {
		names = append(names, h)
	}
	sort.Strings(names)
	for _, h := range names {
		fmt.Fprintf(&b, "preflight-%s: %s\n", h, preflights[h])
	}
	t.Logf("lab summary:\n%s", b.String())
	os.MkdirAll(filepath.Join(repoRoot, "build"), 0o755)
	if err := os.WriteFile(filepath.Join(repoRoot, "build", "lab-summary.txt"), []byte(b.String()), 0o644); err != nil {
		t.Error(err)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
