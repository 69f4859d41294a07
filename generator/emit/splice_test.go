package emit

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
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
	for name, data := range map[string]string{
		"splice":        string(c.Marshal()),
		"leading space": "  indented: first line\nversion: 1\n",
		"control char":  "name: \"a\x01b\"\n",
		"no newline":    "version: 1",
		"blank lines":   "a: 1\n\n\nb: 2\n",
	} {
		for _, mode := range []UserDataKind{FullUserData, BakedUserData} {
			file := UserData(c, plans[0], mode, Site{Data: []byte(data)})
			doc := file.Bytes()
			var parsed struct {
				WriteFiles []struct{ Path, Content string } `yaml:"write_files"`
			}
			if err := yaml.Unmarshal(doc, &parsed); err != nil {
				t.Fatalf("%s/%s: not YAML: %v\n%s", name, mode, err, doc)
			}
			if parsed.WriteFiles[0].Path != site.Path || parsed.WriteFiles[0].Content != data {
				t.Errorf("%s/%s: site data came out as %q", name, mode, parsed.WriteFiles[0].Content)
			}
			checkSitePart(t, name+"/"+string(mode), file)
			if shared := UserData(c, plans[0], mode, NewSite([]byte(data), "")); string(shared.Bytes()) != string(doc) {
				t.Errorf("%s/%s: the render's shared block gives another document:\n%s", name, mode, shared.Bytes())
			}
		}
	}
}

// checkSitePart: the site part runs from the site file's content key to the next file, and
// the review form, with it replaced, is still the same document otherwise.
func checkSitePart(t *testing.T, name string, file OutputFile) {
	t.Helper()
	if !file.CarriesSite() {
		t.Fatalf("%s: no site part", name)
	}
	if !strings.HasPrefix(string(file.site), "    content: ") || !strings.HasPrefix(string(file.tail), "  - path: ") {
		t.Fatalf("%s: the site part does not frame the site content:\n%s", name, file.Bytes())
	}
	review := file.Review()
	var parsed struct {
		WriteFiles []struct{ Path, Content string } `yaml:"write_files"`
	}
	if err := yaml.Unmarshal(review, &parsed); err != nil {
		t.Fatalf("%s: review form is not YAML: %v\n%s", name, err, review)
	}
	if got := parsed.WriteFiles[0].Content; got != "(site data)" {
		t.Errorf("%s: review form's site content = %q", name, got)
	}
}

// TestSiteByReference: with a URL the user-data carries the reference (URL and SHA-256 of the
// site data) in place of the data, and nothing of the data itself.
func TestSiteByReference(t *testing.T) {
	c, _ := cloud.Load("example", cloud.Example())
	tpl, _ := roles.NewTemplates("")
	plans, _ := roles.Plans(roles.Resolve(c), tpl)
	s := Site{Data: c.Marshal(), URL: "https://deploy.example/clouds/prod/cloud.yaml?sig=a:b"}
	file := UserData(c, plans[0], BakedUserData, s)
	doc := file.Bytes()
	var parsed struct {
		WriteFiles []struct{ Path, Content string } `yaml:"write_files"`
	}
	if err := yaml.Unmarshal(doc, &parsed); err != nil {
		t.Fatal(err)
	}
	if parsed.WriteFiles[0].Path != site.RefPath {
		t.Fatalf("first file is %s, want %s", parsed.WriteFiles[0].Path, site.RefPath)
	}
	var ref struct{ URL, SHA256 string }
	if err := yaml.Unmarshal([]byte(parsed.WriteFiles[0].Content), &ref); err != nil {
		t.Fatal(err)
	}
	if ref.URL != s.URL || ref.SHA256 != site.Hash(s.Data) {
		t.Errorf("reference = %+v", ref)
	}
	if strings.Contains(string(doc), "zookeeper:") || strings.Contains(string(doc), "publicIps") {
		t.Errorf("the site data is still inline:\n%s", doc)
	}
	checkSitePart(t, "by reference", file)
}
