package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestVersionAfter(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"2.34", "2.17", true}, {"2.17", "2.17", false}, {"2.3.4", "2.17", false}, {"2.2.5", "2.17", false}, {"3", "2.17", true}} {
		if got := versionAfter(c.a, c.b); got != c.want {
			t.Errorf("versionAfter(%s, %s) = %v", c.a, c.b, got)
		}
	}
}

// TestRunsOnEL7 tells a static Go binary from one linked against this machine's glibc.
func TestRunsOnEL7(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	// os/user's cgo lookup pulls in getpwuid_r and friends from the build machine's glibc.
	os.WriteFile(src, []byte("package main\nimport (\"net\"; \"os/user\")\nfunc main() { user.Current(); net.LookupHost(\"x\") }\n"), 0o644)
	for _, c := range []struct {
		name, cgo string
	}{{"static", "0"}, {"cgo", "1"}} {
		bin := filepath.Join(dir, c.name)
		cmd := exec.Command("go", "build", "-o", bin, src)
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+c.cgo, "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			if c.cgo == "1" {
				Missing(t, "no C toolchain for a cgo build: "+string(out))
			}
			t.Fatalf("%v\n%s", err, out)
		}
		why, err := RunsOnEL7(bin)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.cgo == "0" && why != "":
			t.Errorf("a static binary: %s", why)
		case c.cgo == "1" && !strings.Contains(why, "dynamically linked") && glibcNewerThanEL7(t):
			t.Errorf("a binary linked against glibc %s passed", hostGlibc(t))
		}
	}
}

func hostGlibc(t *testing.T) string {
	out, err := exec.Command("getconf", "GNU_LIBC_VERSION").Output()
	if err != nil {
		t.Fatalf("getconf: %v", err)
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "glibc ")
}

// glibcNewerThanEL7: a cgo build only needs new symbols when the machine's glibc has them.
func glibcNewerThanEL7(t *testing.T) bool { return versionAfter(hostGlibc(t), "2.33") }
