package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/internal/version"
)

// TestShippedBinariesRunOnEL7: the binaries "make build" and "make plugin" produce (the hook
// that Packer bakes into images and the plugin CI runs) start on EL7's glibc 2.17. The RPM's
// payload is checked where dnf installed it (TestPlainImageInstallsFromFullUserData).
func TestShippedBinariesRunOnEL7(t *testing.T) {
	_, plugins := packerEnv(t)
	// The binary knows the commit it was built from (version -o json), for a support
	// engineer who asks which build a host runs.
	out, err := exec.Command(midobakeBin(), "version", "-o", "json").Output()
	head, herr := exec.Command("git", "-C", testenv.RepoRoot(t), "rev-parse", "HEAD").Output()
	var v struct{ Version, Commit string }
	if err != nil || herr != nil || json.Unmarshal(out, &v) != nil || v.Version != version.Version || v.Commit != strings.TrimSpace(string(head)) {
		t.Errorf("version -o json: %v %v %s, HEAD %s", err, herr, out, head)
	}
	for _, bin := range []string{
		midobakeBin(),
		filepath.Join(plugins, "github.com", "midobake", "midobake", fmt.Sprintf("packer-plugin-midobake_v%s_x5.0_linux_amd64", version.Version)),
	} {
		assertRunsOnEL7(t, bin)
	}
}

func assertRunsOnEL7(t *testing.T, bin string) {
	t.Helper()
	why, err := testenv.RunsOnEL7(bin)
	if err != nil {
		t.Fatal(err)
	}
	if why != "" {
		t.Errorf("would not start on EL7: %s", why)
	}
}
