package emit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/midobake/midobake/cloud"
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
				if string(file.Data) != string(c.Marshal()) {
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
			if err := yaml.Unmarshal(file.Data, &doc); err != nil {
				t.Fatalf("%s is not YAML: %v", p, err)
			}
			if doc.WriteFiles[0].Content != string(c.Marshal()) {
				t.Fatalf("%s: the site data is not the cloud", p)
			}
		}
	})
}
