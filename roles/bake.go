package roles

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/midobake/midobake/cloud"
)

// BakeStep is one step of baking a profile into a golden image: files to upload, then a
// shell command to run on the image being built. The Packer provisioner executes them in
// order over its communicator.
type BakeStep struct {
	Name    string
	Files   []File
	Command string
}

// Bake is the bake of a plan: repositories, every package in one transaction, the role
// configuration, the first-boot hook and its unit; then the services the packages enabled are
// disabled (the hook starts them, configured, on first boot) and everything that identifies
// a host is removed, so that every clone creates its own identity.
func Bake(p Plan, hook File) []BakeStep {
	var repos, config []File
	for _, f := range p.Files {
		if p.OS.IsRepoFile(f.Path) {
			repos = append(repos, f)
		} else {
			config = append(config, f)
		}
	}
	steps := []BakeStep{
		{Name: "repositories", Files: repos},
		{Name: "packages", Command: p.OS.Install + " " + strings.Join(p.Packages, " ") + " && " + p.OS.Verify + " " + strings.Join(p.Packages, " ")},
		{Name: "configuration", Files: config},
		{Name: "first-boot hook", Files: []File{hook}, Command: "systemctl enable " + UnitFirstBoot + ".service"},
	}
	if len(p.Units) > 0 {
		steps = append(steps, BakeStep{Name: "disable services", Command: "systemctl disable " + strings.Join(p.Units, " ")})
	}
	if p.Firewall == cloud.FirewallDisable {
		// As the hook would at first boot (the Eucalyptus guide's "Disable FirewallD"): an
		// image that boots without it starts sooner and never blocks the cloud meanwhile.
		steps = append(steps, BakeStep{Name: "firewall", Command: "if systemctl cat " + UnitFirewall + ".service >/dev/null 2>&1; then systemctl disable " + UnitFirewall + ".service; fi"})
	}
	steps = append(steps, BakeStep{Name: "strip host identity", Command: StripIdentityCommand()})
	return steps
}

// StripIdentityCommand removes what identifies a host (IdentityPaths) and empties the
// machine ID, which systemd then creates anew at first boot. D-Bus's copy is emptied too, as
// virt-sysprep does: systemd 219 (EL7) fills an empty /etc/machine-id from
// /var/lib/dbus/machine-id when that holds an ID (machine-id-setup.c), so every clone would
// share the image's.
func StripIdentityCommand() string {
	paths := append([]string{}, IdentityPaths...)
	sort.Strings(paths)
	return "rm -rf " + strings.Join(paths, " ") + " && : > /etc/machine-id && { ! [ -e " + DBusMachineIDPath + " ] || : > " + DBusMachineIDPath + "; }"
}

// DBusMachineIDPath is D-Bus's machine ID, a file of its own on EL7 (a link to
// /etc/machine-id on later systems).
const DBusMachineIDPath = "/var/lib/dbus/machine-id"

// UploadCommands are the commands around uploading files: make their directories before,
// set owner and mode after (a communicator's upload does neither reliably).
func UploadCommands(files []File) (before, after string) {
	dirs := map[string]bool{}
	var ds, fix []string
	for _, f := range files {
		if d := path.Dir(f.Path); !dirs[d] {
			dirs[d] = true
			ds = append(ds, quote(d))
		}
		fix = append(fix, "chown "+f.Owner+" "+quote(f.Path), fmt.Sprintf("chmod %04o ", f.Mode)+quote(f.Path))
	}
	sort.Strings(ds)
	return "mkdir -p " + strings.Join(ds, " "), strings.Join(fix, " && ")
}

// quote single-quotes a path for sh. Paths come from midobake's own constants, never from
// the cloud description, but quoting keeps it that way by construction.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
