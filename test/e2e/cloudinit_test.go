package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/generator/emit"
	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
)

type fixture struct {
	name  string
	cloud *cloud.Cloud
	tree  *emit.Tree
	plans []roles.Plan
}

func fixtures(t *testing.T) []fixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(t), "fixtures/valid/*.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("want the valid fixtures (at least 3), found %d (%v)", len(files), err)
	}
	tpl, err := roles.NewTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	var out []fixture
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, rep := cloud.Load(f, data)
		if c == nil {
			t.Fatal(rep.Format(false))
		}
		tree, err := emit.Render(c, data, emit.Options{Templates: tpl})
		if err != nil {
			t.Fatal(err)
		}
		plans, err := roles.Plans(roles.Resolve(c), tpl)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fixture{strings.TrimSuffix(filepath.Base(f), ".yaml"), c, tree, plans})
	}
	return out
}

func fixtureNamed(t *testing.T, name string) fixture {
	for _, fx := range fixtures(t) {
		if fx.name == name {
			return fx
		}
	}
	t.Fatalf("no fixture %s", name)
	return fixture{}
}

func get(t *testing.T, tree *emit.Tree, path string) []byte {
	t.Helper()
	f, ok := tree.Get(path)
	if !ok {
		t.Fatalf("%s not rendered", path)
	}
	return f.Bytes()
}

// checkFile asserts a file cloud-init wrote: content, mode and owner (root in the chroot).
func checkFile(t *testing.T, r ciResult, f roles.File) {
	t.Helper()
	p := filepath.Join(r.upper, f.Path)
	st, err := os.Stat(p)
	if err != nil {
		t.Errorf("%s was not written", f.Path)
		return
	}
	if got := r.file(f.Path); got != string(f.Content) {
		t.Errorf("%s content differs:\n%s", f.Path, cmp.Diff(string(f.Content), got))
	}
	if got := st.Mode().Perm(); got != f.Mode {
		t.Errorf("%s mode %04o, want %04o", f.Path, got, f.Mode)
	}
	if sys := st.Sys().(*syscall.Stat_t); sys.Uid != 0 || sys.Gid != 0 {
		t.Errorf("%s owned by %d:%d, want root:root", f.Path, sys.Uid, sys.Gid)
	}
}

// TestFullUserData runs every profile's full user-data of every fixture through real
// cloud-init: no stage errors, the repositories and every configuration file in place with
// the right content, owner and mode, the host name set, and the commands in order.
func TestFullUserData(t *testing.T) {
	for _, fx := range fixtures(t) {
		for _, plan := range fx.plans {
			host := plan.Hosts[0]
			t.Run(fx.name+"/"+plan.Profile, func(t *testing.T) {
				r := runCloudInit(t, map[string][]byte{
					"user-data": get(t, fx.tree, "profiles/"+plan.Profile+"/user-data.full.yaml"),
					"meta-data": get(t, fx.tree, "hosts/"+host+"/meta-data"),
				})
				if !r.ok() {
					t.Fatalf("cloud-init reported errors %v (%v):\n%s", r.errors, r.err, r.output)
				}
				for _, f := range plan.Files {
					checkFile(t, r, f)
				}
				for _, repo := range roles.Repos(fx.cloud) {
					path := "etc/yum.repos.d/" + repo.ID + ".repo"
					want := map[bool]bool{true: true, false: false}[strings.Contains(planPaths(plan), repo.ID+".repo")]
					got := strings.Contains(r.file(path), "baseurl="+repo.BaseURL+"\n")
					if want != got {
						t.Errorf("%s with baseurl %s: present %v, want %v", path, cloud.Redact(repo.BaseURL), got, want)
					}
					if want && repo.GPGCheck != strings.Contains(r.file(path), "gpgcheck=1\n") {
						t.Errorf("%s: gpgcheck is not %v", path, repo.GPGCheck)
					}
					if want && repo.GPGCheck && repo.GPGKey != "" && !strings.Contains(r.file(path), "gpgkey="+repo.GPGKey+"\n") {
						t.Errorf("%s lacks gpgkey %s", path, repo.GPGKey)
					}
				}
				if got := strings.TrimSpace(r.file("etc/hostname")); got != host {
					t.Errorf("host name %q, want %q", got, host)
				}
				if r.file(site.Path) != string(fx.cloud.Marshal()) {
					t.Errorf("site data differs from the normalized cloud")
				}
				want := []string{"systemctl daemon-reload", "systemctl enable midobake-firstboot.service", "midobake firstboot --site /etc/midobake/cloud.yaml"}
				if diff := cmp.Diff(want, r.stubs); diff != "" {
					t.Errorf("commands (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func planPaths(p roles.Plan) string {
	var s []string
	for _, f := range p.Files {
		s = append(s, f.Path)
	}
	return strings.Join(s, "\n")
}

// TestBakedUserData: on a golden image the user-data installs nothing; it writes the site
// data (private) and the role configuration, and invokes the hook.
func TestBakedUserData(t *testing.T) {
	fx := fixtureNamed(t, "example")
	plan := fx.plans[0]
	r := runCloudInit(t, map[string][]byte{
		"user-data": get(t, fx.tree, "profiles/"+plan.Profile+"/user-data.baked.yaml"),
		"meta-data": get(t, fx.tree, "hosts/"+plan.Hosts[0]+"/meta-data"),
	})
	if !r.ok() {
		t.Fatalf("cloud-init reported errors %v:\n%s", r.errors, r.output)
	}
	checkFile(t, r, roles.File{Path: site.Path, Mode: 0o600, Content: fx.cloud.Marshal()})
	if diff := cmp.Diff([]string{"midobake firstboot --site /etc/midobake/cloud.yaml"}, r.stubs); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	// The role configuration too, so that an older image is brought up to date.
	for _, f := range plan.Files {
		checkFile(t, r, f)
	}
}

// TestSiteByReferenceUserData: rendered with --site-url, both kinds of user-data go through
// real cloud-init with no error and leave the reference (private), not the site data; the
// hook then fetches the site data the reference names from a web server and verifies it.
func TestSiteByReferenceUserData(t *testing.T) {
	fx := fixtureNamed(t, "example")
	data := fx.cloud.Marshal()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/prod/cloud.yaml" {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	defer srv.Close()
	tpl, _ := roles.NewTemplates("")
	tree, err := emit.Render(fx.cloud, nil, emit.Options{Templates: tpl, SiteURL: srv.URL + "/prod/"})
	if err != nil {
		t.Fatal(err)
	}
	// A static midobake, to run in a root of nothing but cloud-init's files.
	static := filepath.Join(t.TempDir(), "midobake")
	build := exec.Command("go", "build", "-o", static, "../../cmd/midobake")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, kind := range []emit.UserDataKind{emit.FullUserData, emit.BakedUserData} {
		t.Run(string(kind), func(t *testing.T) {
			r := runCloudInit(t, map[string][]byte{
				"user-data": get(t, tree, emit.UserDataPath("nc", kind)),
				"meta-data": get(t, tree, "hosts/node1/meta-data"),
			})
			if !r.ok() {
				t.Fatalf("cloud-init reported errors %v:\n%s", r.errors, r.output)
			}
			checkFile(t, r, roles.File{Path: site.RefPath, Mode: 0o600, Content: site.MarshalRef(srv.URL+"/prod/cloud.yaml", data)})
			if _, err := os.Stat(filepath.Join(r.upper, site.Path)); !os.IsNotExist(err) {
				t.Errorf("the site data is on the host before the hook fetched it: %v", err)
			}
			if got := r.stubs[len(r.stubs)-1]; got != "midobake firstboot --site /etc/midobake/cloud.yaml" {
				t.Errorf("last command %q", got)
			}
			// The command exactly as cloud-init ran it, run by the real hook on what cloud-init
			// left (a root of its files and a static midobake): it must fetch by reference.
			root := t.TempDir()
			if out, err := exec.Command("cp", "-a", filepath.Join(r.upper, "etc"), static, root).CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			args := append(strings.Fields(r.stubs[len(r.stubs)-1])[1:], "--dry-run", "--host", "node1")
			out, err := exec.Command("chroot", append([]string{root, "/midobake"}, args...)...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "site data: fetched "+srv.URL+"/prod/cloud.yaml and verified") {
				t.Errorf("midobake %s did not fetch and verify the site data (%v):\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
	if hits.Load() != 2 {
		t.Errorf("%d fetches, want one per document", hits.Load())
	}
}

// TestBrokenDocumentIsReported proves the checks above can fail: a write_files entry owned by
// a user that does not exist makes cloud-init report an error, and the files after it in the
// same module are not written.
func TestBrokenDocumentIsReported(t *testing.T) {
	fx := fixtureNamed(t, "example")
	ud := string(get(t, fx.tree, "profiles/nc/user-data.full.yaml"))
	broken := strings.Replace(ud, "owner: root:root", "owner: nosuchuser:nosuchgroup", 1)
	r := runCloudInit(t, map[string][]byte{"user-data": []byte(broken), "meta-data": get(t, fx.tree, "hosts/node1/meta-data")})
	if r.ok() {
		t.Fatalf("cloud-init accepted a file owned by a missing user:\n%s", r.output)
	}
	if got := strings.Join(r.errors["init"], " "); !strings.Contains(got, "write-files") || !strings.Contains(got, "nosuchuser") {
		t.Errorf("the error does not name the failing module and user: %q", r.errors)
	}
}

// TestFullUserDataWithoutDefer: the full user-data gives the same result on a cloud-init
// without write_files defer (20.4.1 here, 19.4 on EL7): every file in place with its content,
// owner and mode after cloud-init's final stage, where the packages are installed, and the
// hook after them. The files a package owns are staged and put in place by runcmd, so no file
// relies on the package keeping it (%config(noreplace)).
func TestFullUserDataWithoutDefer(t *testing.T) {
	root := rootfsWithoutDefer(t)
	if v, err := exec.Command("chroot", root, "cloud-init", "--version").CombinedOutput(); err != nil || !strings.Contains(string(v), " 20.4") {
		t.Fatalf("the root's cloud-init is %q (%v), want 20.4", v, err)
	}
	if m, _ := filepath.Glob(filepath.Join(root, "usr/lib/python3/dist-packages/cloudinit/config/cc_write_files_deferred.py")); len(m) != 0 {
		t.Fatal("this cloud-init has write_files defer: the test would prove nothing")
	}
	fx := fixtureNamed(t, "example")
	for _, plan := range fx.plans {
		t.Run(plan.Profile, func(t *testing.T) {
			r := runCloudInitOn(t, root, map[string][]byte{
				"user-data": get(t, fx.tree, "profiles/"+plan.Profile+"/user-data.full.yaml"),
				"meta-data": get(t, fx.tree, "hosts/"+plan.Hosts[0]+"/meta-data"),
			})
			if !r.ok() {
				t.Fatalf("cloud-init reported errors %v (%v):\n%s", r.errors, r.err, r.output)
			}
			for _, f := range plan.Files {
				checkFile(t, r, f)
			}
			if r.file(roles.DeferredDir+"/etc/midolman/midolman.conf") != "" {
				t.Errorf("the staged files were left in %s", roles.DeferredDir)
			}
			want := []string{"systemctl daemon-reload", "systemctl enable midobake-firstboot.service", "midobake firstboot --site /etc/midobake/cloud.yaml"}
			if diff := cmp.Diff(want, r.stubs); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
		})
	}
}
