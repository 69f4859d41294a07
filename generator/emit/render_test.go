package emit

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/synth"
	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/roles"
)

// validFixtures loads every cloud under fixtures/valid.
func validFixtures(t *testing.T) map[string]struct {
	cloud *cloud.Cloud
	input []byte
} {
	t.Helper()
	root := testenv.RepoRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "fixtures/valid/*.yaml"))
	if len(files) < 3 {
		t.Fatalf("want at least 3 valid fixtures, found %d", len(files))
	}
	out := map[string]struct {
		cloud *cloud.Cloud
		input []byte
	}{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, rep := cloud.Load(f, data)
		if rep.HasErrors(true) {
			t.Fatalf("%s:\n%s", f, rep.Format(false))
		}
		out[strings.TrimSuffix(filepath.Base(f), ".yaml")] = struct {
			cloud *cloud.Cloud
			input []byte
		}{c, data}
	}
	return out
}

func render(t *testing.T, c *cloud.Cloud, input []byte) *Tree {
	t.Helper()
	return renderWith(t, c, input, Options{})
}

func renderWith(t *testing.T, c *cloud.Cloud, input []byte, opts Options) *Tree {
	t.Helper()
	tpl, err := roles.NewTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	opts.Templates = tpl
	tree, err := Render(c, input, opts)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// TestGolden pins every rendered file of every valid fixture, per fixture and profile/host, in
// fixtures/golden/<fixture>/. A variant (the example with the site data by reference, in
// fixtures/golden/example-site-url/) pins only the files it changes: every other file must be
// the fixture's own. go test ./... -update rewrites them; review the diff.
func TestGolden(t *testing.T) {
	root := testenv.RepoRoot(t)
	type variant struct {
		fixture string
		opts    Options
	}
	variants := map[string]variant{"example-site-url": {"example", Options{SiteURL: "https://deploy.example.com/clouds/prod/"}}}
	fixtures := validFixtures(t)
	for name := range fixtures {
		variants[name] = variant{fixture: name}
	}
	for name, v := range variants {
		t.Run(name, func(t *testing.T) {
			f := fixtures[v.fixture]
			tree := renderWith(t, f.cloud, f.input, v.opts)
			var plain *Tree // for a variant, the fixture as rendered without its options
			if name != v.fixture {
				plain = render(t, f.cloud, f.input)
			}
			dir := filepath.Join(root, "fixtures/golden", name)
			if *testenv.Update {
				os.RemoveAll(dir)
			}
			var pinned []string
			for _, p := range tree.Paths() {
				file, _ := tree.Get(p)
				if len(file.Content()) == 0 {
					t.Errorf("%s is empty", p) // an emptied template must not slip into the golden files
				}
				if plain != nil {
					if same, ok := plain.Get(p); ok && bytes.Equal(same.Content(), file.Content()) {
						continue
					}
				}
				pinned = append(pinned, p)
				testenv.Golden(t, filepath.Join(dir, filepath.FromSlash(p)), file.Content())
			}
			var onDisk []string
			filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(dir, path)
					onDisk = append(onDisk, filepath.ToSlash(rel))
				}
				return nil
			})
			if diff := cmp.Diff(onDisk, pinned); diff != "" {
				t.Errorf("golden files and rendered files differ (-golden +rendered):\n%s", diff)
			}
		})
	}
}

// TestUserDataPassesCloudInit runs every generated user-data document through the real
// cloud-init schema check, and checks the top-level keys cloud-init's check lets through.
func TestUserDataPassesCloudInit(t *testing.T) {
	known := testenv.CloudConfigKeys(t)
	trees := map[string]*Tree{}
	for name, f := range validFixtures(t) {
		trees[name] = render(t, f.cloud, f.input)
		if name == "example" {
			trees["example-site-url"] = renderWith(t, f.cloud, f.input, Options{SiteURL: "https://deploy.example.com/clouds/prod/"})
		}
	}
	for name, tree := range trees {
		for _, p := range tree.Paths() {
			if !strings.Contains(p, "user-data.") {
				continue // hosts/*/user-data link to these
			}
			file, _ := tree.Get(p)
			t.Run(name+"/"+p, func(t *testing.T) {
				if out, ok := testenv.CloudInitSchema(t, file.Bytes()); !ok {
					t.Errorf("cloud-init rejects %s:\n%s", p, out)
				}
				unknown, err := testenv.UnknownTopLevelKeys(file.Bytes(), known)
				if err != nil || len(unknown) > 0 {
					t.Errorf("top-level keys cloud-init does not know: %v %v", unknown, err)
				}
			})
		}
	}
}

// TestCloudInitChecksCatchBrokenDocuments proves the two checks above can fail: a document
// broken on purpose is reported by cloud-init (wrong type) and by the key check (typo).
func TestCloudInitChecksCatchBrokenDocuments(t *testing.T) {
	f := validFixtures(t)["example"]
	good, _ := render(t, f.cloud, f.input).Get("profiles/nc/user-data.full.yaml")
	wrongType := strings.Replace(string(good.Bytes()), `permissions: "0600"`, "permissions: 384", 1)
	if out, ok := testenv.CloudInitSchema(t, []byte(wrongType)); ok || !strings.Contains(out, "permissions") {
		t.Errorf("cloud-init accepted an integer file mode:\n%s", out)
	}
	typo := strings.Replace(string(good.Bytes()), "write_files:", "write_file:", 1)
	unknown, _ := testenv.UnknownTopLevelKeys([]byte(typo), testenv.CloudConfigKeys(t))
	if diff := cmp.Diff([]string{"write_file"}, unknown); diff != "" {
		t.Errorf("the key check missed a misspelled key:\n%s", diff)
	}
	noHeader := strings.Replace(string(good.Bytes()), "#cloud-config\n", "", 1)
	if out, ok := testenv.CloudInitSchema(t, []byte(noHeader)); ok {
		t.Errorf("cloud-init accepted a document without #cloud-config:\n%s", out)
	}
}

// TestRenderIsDeterministic renders the same input twice and compares the two trees whole:
// the same paths, and for each the same bytes, mode and link.
func TestRenderIsDeterministic(t *testing.T) {
	type file struct {
		Mode       fs.FileMode
		Link, Data string
	}
	files := func(tree *Tree) map[string]file {
		out := map[string]file{}
		for _, p := range tree.Paths() {
			f, _ := tree.Get(p)
			out[p] = file{f.Mode, f.Link, string(f.Bytes())}
		}
		return out
	}
	for name, f := range validFixtures(t) {
		a, b := files(render(t, f.cloud, f.input)), files(render(t, f.cloud, f.input))
		if len(a) == 0 {
			t.Fatalf("%s: nothing rendered", name)
		}
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("%s: two renders differ:\n%s", name, diff)
		}
	}
}

// TestSecretsMakeFilesPrivate: the fixture with a credential in a mirror URL gets 0600 on
// every file that holds it, and 0644 elsewhere.
func TestSecretsMakeFilesPrivate(t *testing.T) {
	f := validFixtures(t)["ha-large"]
	tree := render(t, f.cloud, f.input)
	for _, p := range tree.Paths() {
		file, _ := tree.Get(p)
		holds := strings.Contains(string(file.Bytes()), "s3cr3t-token")
		if holds != (file.Mode == 0o600) {
			t.Errorf("%s: holds the secret %v, mode %o", p, holds, file.Mode)
		}
	}
	if file, _ := tree.Get("profiles/nc/user-data.full.yaml"); file.Mode != 0o600 {
		t.Errorf("user-data with repository credentials has mode %o", file.Mode)
	}
}

// TestSiteURLFitsEveryProvider: by reference, every user-data of a 10,000-host cloud fits the
// smallest provider's limit (EC2's 16 KB); inline, a 100-host cloud already does not.
func TestSiteURLFitsEveryProvider(t *testing.T) {
	for _, tc := range []struct {
		hosts   int
		siteURL string
		fits    bool
	}{
		{10000, "https://deploy.example.com/clouds/prod/", true},
		{100, "", false},
	} {
		data := synth.Cloud(tc.hosts, 1)
		c, rep := cloud.Load("synth.yaml", data)
		if c == nil {
			t.Fatal(rep.Format(false))
		}
		tree := renderWith(t, c, data, Options{SiteURL: tc.siteURL})
		sizes := UserDataSizes(tree)
		if len(sizes) == 0 {
			t.Fatal("no user-data")
		}
		for _, d := range sizes {
			if fits := d.Size <= WarnUserDataSize; fits != tc.fits {
				t.Errorf("%d hosts, --site-url %q: %s is %d bytes; fits in %d: %v, want %v", tc.hosts, tc.siteURL, d.Path, d.Size, WarnUserDataSize, fits, tc.fits)
			}
		}
	}
}
