package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/roles"
)

// cycleRE matches what systemd logs when it meets an ordering cycle in a boot transaction.
var cycleRE = regexp.MustCompile(`(?i)ordering cycle|deleted to break`)

// bootTransaction lays out a system's units the way a golden image has them: the host's
// systemd and Debian's cloud-init units (enabled as cloud-init's package enables them), and
// the hook's unit as midobake renders it, enabled by the bake's own command. Then the real
// systemd-analyze computes the boot transaction of multi-user.target, as systemd does at
// boot, and its report is returned.
func bootTransaction(t *testing.T, unit []byte) string {
	t.Helper()
	systemctl := testenv.Need(t, "systemctl", "apt-get install systemd")
	analyze := testenv.Need(t, "systemd-analyze", "apt-get install systemd")
	if _, err := os.Stat("/usr/lib/systemd/system/cloud-final.service"); err != nil {
		testenv.Missing(t, "cloud-init's units are not installed (apt-get install cloud-init)")
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "usr/lib/systemd"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("cp", "-a", "/usr/lib/systemd/system", filepath.Join(root, "usr/lib/systemd/"))
	if err := os.Symlink("usr/lib", filepath.Join(root, "lib")); err != nil { // merged /usr, as bookworm
		t.Fatal(err)
	}
	// cloud-init enabled as its Debian package enables it on this machine (its postinst puts
	// the stages into multi-user.target.wants), else through their [Install] sections.
	links, _ := filepath.Glob("/etc/systemd/system/*.wants/cloud-*")
	for _, l := range links {
		rel, _ := filepath.Rel("/", l)
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		run("cp", "-P", l, filepath.Join(root, rel))
	}
	if len(links) == 0 {
		run(systemctl, "--root="+root, "enable", "cloud-init-local.service", "cloud-init.service", "cloud-config.service", "cloud-final.service")
	}
	// At boot cloud-init's generator makes multi-user.target want cloud-init.target (unless
	// cloud-init is disabled); here the link stands where the generator would put it.
	wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/lib/systemd/system/cloud-init.target", filepath.Join(wants, "cloud-init.target")); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	run(systemctl, "--root="+root, "set-default", "multi-user.target")
	path := filepath.Join(root, roles.FirstBootUnitPath)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	// The bake enables the unit with this command; here it acts on the laid-out root.
	enable := strings.Fields(bakeStep(t, "first-boot hook").Command)
	if len(enable) != 3 || enable[0] != "systemctl" || enable[1] != "enable" {
		t.Fatalf("the bake enables the hook with %q; this test expects systemctl enable UNIT", enable)
	}
	run(systemctl, "--root="+root, "enable", enable[2])
	if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/multi-user.target.wants", enable[2])); err != nil {
		t.Fatalf("enabling the hook did not make multi-user.target want it: %v", err)
	}
	out, _ := exec.Command(analyze, "verify", "--root="+root, "multi-user.target").CombinedOutput()
	return string(out)
}

// bakeStep is a step of the example's clc bake, as the Packer provisioner runs it.
func bakeStep(t *testing.T, name string) roles.BakeStep {
	t.Helper()
	c, _ := cloud.Load(cloud.ExampleName, cloud.Example())
	tpl, err := roles.NewTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	plans, err := roles.Plans(roles.Resolve(c), tpl)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range roles.Bake(plans[0], roles.File{Path: roles.HookPath, Mode: 0o755, Owner: "root:root"}) {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no bake step %q", name)
	return roles.BakeStep{}
}

// firstBootUnit is the hook's unit as every plan carries it.
func firstBootUnit(t *testing.T) []byte {
	t.Helper()
	for _, f := range bakeStep(t, "configuration").Files {
		if f.Path == roles.FirstBootUnitPath {
			return f.Content
		}
	}
	t.Fatal("the plan has no first-boot unit")
	return nil
}

// TestFirstBootUnitHasNoOrderingCycle: with the hook enabled in an image whose cloud-init has
// Debian's units (cloud-final.service is After=multi-user.target), the boot transaction has
// no ordering cycle, so systemd drops neither the hook's job nor cloud-final's.
func TestFirstBootUnitHasNoOrderingCycle(t *testing.T) {
	if out := bootTransaction(t, firstBootUnit(t)); cycleRE.MatchString(out) {
		t.Errorf("the boot transaction has an ordering cycle:\n%s", out)
	}
}

// TestOrderingCycleIsDetected: the check above can fail. A unit ordered after cloud-final and
// wanted by multi-user.target with the default dependencies (midobake's unit before this fix)
// is reported as a cycle.
func TestOrderingCycleIsDetected(t *testing.T) {
	unit := string(firstBootUnit(t))
	cyclic := regexp.MustCompile(`(?m)^(DefaultDependencies=no|Requires=sysinit.target|Conflicts=shutdown.target|Before=shutdown.target)\n`).ReplaceAllString(unit, "")
	if cyclic == unit || !strings.Contains(cyclic, "After=") || !strings.Contains(cyclic, "cloud-final.service") {
		t.Fatalf("could not make the cyclic variant of the unit:\n%s", unit)
	}
	out := bootTransaction(t, []byte(cyclic))
	if !cycleRE.MatchString(out) || !strings.Contains(out, "midobake-firstboot.service") {
		t.Errorf("the cyclic unit was not reported as a cycle:\n%s", out)
	}
}

// TestBackupUnitsVerify: the backup schedule's service and timer, as midobake renders them
// for a schedule of each shape, enabled as the hook enables them, pass the real systemd's
// verification in a root laid out like a host's.
func TestBackupUnitsVerify(t *testing.T) {
	systemctl := testenv.Need(t, "systemctl", "apt-get install systemd")
	analyze := testenv.Need(t, "systemd-analyze", "apt-get install systemd")
	tpl, err := roles.NewTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	for _, schedule := range []string{"daily", "Mon,Thu *-*-* 03:00", "*-*-* 00/6:15"} {
		example := strings.Replace(string(cloud.Example()), "\nnetwork:", "\nbackup: {schedule: \""+schedule+"\", keep: 5}\nnetwork:", 1)
		c, rep := cloud.Load("example.yaml", []byte(example))
		if c == nil {
			t.Fatalf("%s", rep.Format(false))
		}
		b, on := c.BackupPlan()
		if !on {
			t.Fatal("no backup schedule")
		}
		service, timer, err := roles.BackupUnits(roles.Resolve(c), tpl, b)
		if err != nil {
			t.Fatal(err)
		}
		root := t.TempDir()
		os.MkdirAll(filepath.Join(root, "usr/lib/systemd"), 0o755)
		if err := exec.Command("cp", "-a", "/usr/lib/systemd/system", filepath.Join(root, "usr/lib/systemd/")).Run(); err != nil {
			t.Fatal(err)
		}
		for path, content := range map[string][]byte{roles.BackupServicePath: service, roles.BackupTimerPath: timer, roles.HookPath: []byte("#!/bin/sh\n")} {
			mode := os.FileMode(0o644)
			if path == roles.HookPath {
				mode = 0o755
			}
			os.MkdirAll(filepath.Join(root, filepath.Dir(path)), 0o755)
			if err := os.WriteFile(filepath.Join(root, path), content, mode); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := exec.Command(systemctl, "--root="+root, "enable", roles.BackupTimer).CombinedOutput(); err != nil {
			t.Fatalf("enable: %v\n%s", err, out)
		}
		if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/timers.target.wants", roles.BackupTimer)); err != nil {
			t.Errorf("enabling the timer did not make timers.target want it: %v", err)
		}
		out, err := exec.Command(analyze, "verify", "--root="+root, roles.BackupTimer, "midobake-backup.service").CombinedOutput()
		if err != nil || strings.Contains(string(out), "midobake-backup") {
			t.Errorf("schedule %q: systemd-analyze verify: %v\n%s", schedule, err, out)
		}
	}
}
