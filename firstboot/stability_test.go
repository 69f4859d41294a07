package firstboot

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/version"
	"github.com/midobake/midobake/system"
)

// The site data is read by hooks baked into images older than the renderer, and by hooks
// newer than the renderer that wrote it: the format is a contract. fixtures/stability/
// keeps the site data of each format version as midobake rendered it (site-v1: format
// version 1), and this test proves that the hook of this version reads every kept file and
// can run the steps of every host of it (a dry run).
//
// Keeping a new one is an explicit act, never a side effect of -update:
//
//	go test ./firstboot -run TestSiteDataStability -record-stability
//
// writes the site data of the fixtures/valid clouds as rendered by this version, under names
// carrying the version, and refuses to overwrite a kept file.
var recordStability = flag.Bool("record-stability", false, "keep this version's site data in fixtures/stability (never overwrites)")

const stabilityDir = "../fixtures/stability"

// siteFormat is the version of the description format this midobake writes (version: 1).
const siteFormat = 1

func TestSiteDataStability(t *testing.T) {
	if *recordStability {
		recordSiteData(t)
	}
	kept, _ := filepath.Glob(filepath.Join(stabilityDir, "site-v*", "*.yaml"))
	if len(kept) == 0 {
		t.Fatal("no kept site data in " + stabilityDir)
	}
	for _, path := range kept {
		t.Run(strings.TrimPrefix(path, stabilityDir+"/"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			c, rep := cloud.Load(path, data)
			if c == nil || rep.HasErrors(false) {
				t.Fatalf("this version no longer reads kept site data:\n%s", rep.Format(false))
			}
			for _, h := range c.Hosts {
				var out bytes.Buffer
				err := Run(context.Background(), Options{Site: data, SiteName: path, Host: h.Name, DryRun: true,
					Root: system.Root(t.TempDir()), Out: &out, Runner: nopRunner{}})
				if err != nil {
					t.Errorf("host %s: the hook cannot plan its first boot: %v\n%s", h.Name, err, out.String())
				}
			}
		})
	}
}

// recordSiteData keeps this version's site data of every valid fixture.
func recordSiteData(t *testing.T) {
	valid, _ := filepath.Glob("../fixtures/valid/*.yaml")
	dir := filepath.Join(stabilityDir, fmt.Sprintf("site-v%d", siteFormat))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, src := range valid {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		c, rep := cloud.Load(src, data)
		if c == nil {
			t.Fatal(rep.Format(false))
		}
		dst := filepath.Join(dir, version.Version+"-"+filepath.Base(src))
		f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			t.Logf("%s is kept already: left as it is", dst)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(c.Marshal()); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("kept %s", dst)
	}
}
