package emit

import (
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// TestSiteDataSurvivesEitherPath: the spliced literal block and the encoder's fallback both
// carry the site data exactly, whatever it holds.
func TestSiteDataSurvivesEitherPath(t *testing.T) {
	c, _ := cloud.Load("example", cloud.Example())
	tpl, err := roles.NewTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	plans, err := roles.Plans(roles.Resolve(c), tpl)
	if err != nil || len(plans) == 0 {
		t.Fatalf("no plans (%v)", err)
	}
	for name, site := range map[string]string{
		"splice":        string(c.Marshal()),
		"leading space": "  indented: first line\nversion: 1\n",
		"control char":  "name: \"a\x01b\"\n",
		"no newline":    "version: 1",
		"blank lines":   "a: 1\n\n\nb: 2\n",
	} {
		for _, mode := range []UserDataKind{FullUserData, BakedUserData} {
			doc := UserData(c, plans[0], mode, []byte(site))
			var parsed struct {
				WriteFiles []struct{ Path, Content string } `yaml:"write_files"`
			}
			if err := yaml.Unmarshal(doc, &parsed); err != nil {
				t.Fatalf("%s/%s: not YAML: %v\n%s", name, mode, err, doc)
			}
			if parsed.WriteFiles[0].Path != roles.SitePath || parsed.WriteFiles[0].Content != site {
				t.Errorf("%s/%s: site data came out as %q", name, mode, parsed.WriteFiles[0].Content)
			}
		}
	}
}
