package emit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/synth"
	"github.com/midobake/midobake/roles"
)

// FuzzRender: any input that validates also renders, and every user-data it renders is YAML
// whose site data loads back as the same cloud.
func FuzzRender(f *testing.F) {
	for _, dir := range []string{"valid", "diff"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", "fixtures", dir, "*.yaml"))
		for _, file := range files {
			b, _ := os.ReadFile(file)
			f.Add(b)
		}
	}
	tpl, err := roles.NewTemplates("")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _ := cloud.Load("fuzz.yaml", data)
		if c == nil {
			return
		}
		tree, err := Render(c, data, Options{Templates: tpl})
		if err != nil {
			t.Fatalf("a valid cloud does not render: %v", err)
		}
		for _, p := range tree.Paths() {
			file, _ := tree.Get(p)
			if p == SiteDataPath {
				if string(file.Bytes()) != string(c.Marshal()) {
					t.Fatalf("%s is not the cloud", p)
				}
				continue
			}
			if !strings.HasSuffix(p, ".yaml") {
				continue
			}
			var doc struct {
				WriteFiles []struct{ Content string } `yaml:"write_files"`
			}
			if err := yaml.Unmarshal(file.Bytes(), &doc); err != nil {
				t.Fatalf("%s is not YAML: %v", p, err)
			}
			if doc.WriteFiles[0].Content != string(c.Marshal()) {
				t.Fatalf("%s: the site data is not the cloud", p)
			}
		}
	})
}

// FuzzRenderStructured drives the renderer with clouds that validate: a synthetic cloud of
// 8-40 hosts from a seed, with fuzzed settings (size, tunnel type, firewall mode, a cluster
// heap, a mirror's password, one host's name), so that mutations reach the renderer instead
// of dying in the parser. Every render must be deterministic, carry the site data, and keep
// the password out of every file that is not private.
func FuzzRenderStructured(f *testing.F) {
	f.Add(uint8(0), int64(1), false, false, false, uint16(1024), "s3cret", "renamed")
	f.Add(uint8(30), int64(7), true, true, true, uint16(3), "p@ss:w/rd", "a-b.c")
	tpl, err := roles.NewTemplates("")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, n uint8, seed int64, standard, gre, keep bool, heap uint16, password, name string) {
		src := string(synth.Cloud(8+int(n)%33, seed))
		if standard {
			src = strings.Replace(src, "size: large", "size: standard", 1)
		}
		if gre {
			src = strings.Replace(src, "type: vxlan", "type: gre", 1)
		}
		src = strings.Replace(src, "  tunnelZone:", fmt.Sprintf("  clusterHeap: %dM\n  tunnelZone:", heap), 1)
		quoted, _ := json.Marshal("http://ops:" + password + "@mirror.example/mem/el7/")
		src = strings.Replace(src, "  repos:\n", "  repos:\n    midonet: {baseurl: "+string(quoted)+"}\n", 1)
		if keep {
			src += "firewall: {mode: keep, adminSources: [192.0.2.0/24]}\n"
		}
		if name != "" {
			src = strings.Replace(src, "name: nc-", "name: "+strings.ReplaceAll(name, "\n", "")+"-", 1)
		}
		c, _ := cloud.Load("fuzz.yaml", []byte(src))
		if c == nil {
			return
		}
		tree, err := Render(c, []byte(src), Options{Templates: tpl})
		if err != nil {
			t.Fatalf("a valid cloud does not render: %v", err)
		}
		again, _ := Render(c, []byte(src), Options{Templates: tpl})
		for _, p := range tree.Paths() {
			file, _ := tree.Get(p)
			other, _ := again.Get(p)
			if string(file.Bytes()) != string(other.Bytes()) || file.Mode != other.Mode {
				t.Fatalf("%s differs between two renders", p)
			}
			if pw := cloud.Password(string(quoted[1 : len(quoted)-1])); len(pw) >= 6 && file.Mode.Perm() != 0o600 && file.Link == "" && strings.Contains(string(file.Bytes()), pw) {
				t.Fatalf("%s holds the password with mode %v", p, file.Mode)
			}
		}
		site, ok := tree.Get(SiteDataPath)
		if !ok || string(site.Bytes()) != string(c.Marshal()) {
			t.Fatalf("the site data is not the cloud")
		}
	})
}
