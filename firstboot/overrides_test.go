package firstboot

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/midobake/midobake/roles"
)

// TestTemplateOverrideReachesTheHook: an override of a template the hook renders on the
// host (the gateway's uplink script) is delivered by the user-data that "midobake render
// --templates" writes, and the hook renders with it; the built-in template is not used.
func TestTemplateOverrideReachesTheHook(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	tpl := filepath.Join(w.dir, "tpl")
	os.MkdirAll(tpl, 0o755)
	builtin, err := roles.Embedded("uplink.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "# site override: uplink for {{ host }}"
	override := strings.Replace(string(builtin), "\n", "\n"+marker+"\n", 1)
	os.WriteFile(filepath.Join(tpl, "uplink.tmpl"), []byte(override), 0o644)

	out := filepath.Join(w.dir, "out")
	if o, err := exec.Command(hookBin, "render", "-f", w.site, "-o", out, "--templates", tpl).CombinedOutput(); err != nil {
		t.Fatalf("render: %v\n%s", err, o)
	}
	for _, kind := range []string{"full", "baked"} {
		ud, err := os.ReadFile(filepath.Join(out, "profiles", "ufs", "user-data."+kind+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			WriteFiles []struct{ Path, Content string } `yaml:"write_files"`
		}
		if err := yaml.Unmarshal(ud, &doc); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range doc.WriteFiles {
			if f.Path == roles.TemplatesPath+"/uplink.tmpl" {
				found = f.Content == override
				if kind == "full" { // as cloud-init writes it on the host
					p := filepath.Join(w.root("ufs1"), f.Path)
					os.MkdirAll(filepath.Dir(p), 0o755)
					os.WriteFile(p, []byte(f.Content), 0o644)
				}
			}
		}
		if !found {
			t.Errorf("the %s user-data does not carry the override as %s/uplink.tmpl", kind, roles.TemplatesPath)
		}
	}

	if r := w.hook("ufs1", nil); r.code != 0 {
		t.Fatal(r.out)
	}
	script, _ := os.ReadFile(filepath.Join(w.root("ufs1"), roles.UplinkScriptPath))
	if !strings.Contains(string(script), "# site override: uplink for ufs1\n") {
		t.Errorf("the hook rendered the uplink without the override:\n%s", script)
	}
	// The step's check renders with the same templates: a re-run skips it.
	if r := w.hook("ufs1", nil); r.code != 0 || !strings.Contains(r.out, "uplink: skipped (done in an earlier run)") {
		t.Errorf("re-run:\n%s", r.out)
	}
}

// TestOverrideSurvivesNewSiteData: a re-run with new site data rewrites the settings files
// the hook takes from the render (Cassandra's settings here) with the render's overrides,
// which the user-data left in /etc/midobake/templates, not with the built-in templates.
func TestOverrideSurvivesNewSiteData(t *testing.T) {
	w := newWorld(t, loopbackCloud)
	w.zk.Start(t)
	root := w.root("clc1")
	builtin, _ := roles.Embedded("cassandra-settings.yaml.tmpl")
	tpl := filepath.Join(root, roles.TemplatesPath, "cassandra-settings.yaml.tmpl")
	os.MkdirAll(filepath.Dir(tpl), 0o755)
	os.WriteFile(tpl, append(builtin, []byte("num_tokens: 16\n")...), 0o644)
	if r := w.hook("clc1", nil); r.code != 0 {
		t.Fatal(r.out)
	}
	// New site data (another size): every step runs again, the settings file is rewritten.
	os.WriteFile(w.site, []byte(strings.Replace(loopbackCloud, "size: standard", "size: large", 1)), 0o644)
	if r := w.hook("clc1", nil); r.code != 0 {
		t.Fatal(r.out)
	}
	settings, _ := os.ReadFile(filepath.Join(root, roles.CassandraSettingsPath))
	yaml, _ := os.ReadFile(filepath.Join(root, roles.CassandraYAMLPath))
	if !strings.Contains(string(settings), "num_tokens: 16") || !strings.Contains(string(yaml), "num_tokens: 16") {
		t.Errorf("the override was lost with the new site data:\n%s\n--- cassandra.yaml:\n%s", settings, yaml)
	}
}
