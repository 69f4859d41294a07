package lab

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// hookUnit is the first-boot unit as midobake renders it for the example cloud.
func hookUnit(t *testing.T) string {
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
	for _, f := range plans[0].Files {
		if f.Path == roles.FirstBootUnitPath {
			return string(f.Content)
		}
	}
	t.Fatal("no first-boot unit in the plan")
	return ""
}

// TestHookUnitOrderingOnRealBoot boots two VMs as golden images have the hook: installed and
// enabled before the first boot, with Debian's cloud-init. With the unit as midobake renders
// it, systemd starts it after cloud-final and reports no ordering cycle. With the unit as it
// was (default dependencies), the same boot reports the cycle and drops the hook's job: the
// lab tells the two apart.
func TestHookUnitOrderingOnRealBoot(t *testing.T) {
	baseDir := base(t)
	out := filepath.Join(t.TempDir(), "out")
	run(t, filepath.Join(binDir, "midobake"), "render", "--out-dir", out)
	userData, err := os.ReadFile(filepath.Join(out, "profiles/nc/user-data.baked.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	unit := hookUnit(t)
	cyclic := regexp.MustCompile(`(?m)^(DefaultDependencies=no|Requires=sysinit.target|Conflicts=shutdown.target|Before=shutdown.target)\n`).ReplaceAllString(unit, "")
	if cyclic == unit {
		t.Fatal("could not make the cyclic variant of the unit")
	}
	golden := func(unit string) func(root string) {
		return func(root string) {
			b, err := os.ReadFile(filepath.Join(binDir, "midobake"))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(root, roles.HookPath), string(b), 0o755)
			writeFile(t, filepath.Join(root, roles.FirstBootUnitPath), unit, 0o644)
			run(t, "systemctl", "--root="+root, "enable", roles.UnitFirstBoot+".service") // as the bake does
		}
	}
	// The machine is none of the cloud's hosts, so the hook stops at once wherever it runs:
	// what is checked is that systemd ran it.
	meta := []byte("instance-id: iid-lab-ordering\nlocal-hostname: stranger\n")
	vms := map[string]*image{
		"rendered": newImage(t, baseDir, "rendered", 4*time.Minute, golden(unit)),
		"cyclic":   newImage(t, baseDir, "cyclic", 4*time.Minute, golden(cyclic)),
	}
	var wg sync.WaitGroup
	errs := map[string]error{}
	var mu sync.Mutex
	for name, vm := range vms {
		iso := seedISO(t, vm.dir, userData, meta)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := vm.boot(context.Background(), t, baseDir, bootOpts{seedISO: iso}, 8*time.Minute)
			mu.Lock()
			errs[name] = err
			mu.Unlock()
		}()
	}
	wg.Wait()
	for name, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	cycle := regexp.MustCompile(`(?i)ordering cycle|deleted to break`)
	started := "Starting midobake-firstboot.service"

	journal := vms["rendered"].report(t, 0, "journal.txt")
	if m := cycle.FindString(journal); m != "" {
		t.Errorf("rendered unit: the boot has an ordering cycle (%q); journal in %s", m, vms["rendered"].dir)
	}
	if !strings.Contains(journal, started) {
		t.Errorf("rendered unit: systemd never started the hook; journal in %s", vms["rendered"].dir)
	}
	if !strings.Contains(journal, "Finished cloud-final.service") && !strings.Contains(journal, "Failed to start cloud-final.service") {
		t.Errorf("rendered unit: cloud-final never ran")
	}

	// systemd breaks the cycle by deleting one job of it: usually the hook's, sometimes
	// cloud-final's. Either is a broken boot, and the lab must report it.
	journal = vms["cyclic"].report(t, 0, "journal.txt")
	if !cycle.MatchString(journal) {
		t.Errorf("cyclic unit: the lab did not see the ordering cycle (journal in %s)", vms["cyclic"].dir)
	}
}
