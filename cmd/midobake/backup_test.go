package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-zookeeper/zk"

	"github.com/midobake/midobake/backup"
	"github.com/midobake/midobake/internal/testenv"
	"github.com/midobake/midobake/midonet"
)

// TestBackupRestoreCLI drives backup and restore through the binary against a real ZooKeeper:
// a backup is written whole or not at all and never over a file without --force; restore
// verifies the file before it reaches for ZooKeeper, refuses another cloud's backup and an
// ensemble that holds data, and with --replace puts the backed-up tree back exactly.
func TestBackupRestoreCLI(t *testing.T) {
	z := testenv.NewZooKeeper(t)
	z.Start(t)
	addr := fmt.Sprintf("127.0.0.1:%d", z.Port)
	conn, err := midonet.Session(context.Background(), []string{addr})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, p := range []string{"/midonet", "/midonet/zoom", "/midonet/zoom/bridge-1"} {
		if _, err := conn.Create(p, []byte("data of "+p), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	example := midobake(t, dir, "example").stdout
	os.WriteFile(filepath.Join(dir, "site.yaml"), []byte(example), 0o644)
	os.WriteFile(filepath.Join(dir, "other.yaml"), []byte(strings.Replace(example, "name: euca-lab", "name: other-cloud", 1)), 0o644)

	r := midobake(t, dir, "backup", "--site", "site.yaml", "--zookeeper", addr, "--out-file", "nsdb.backup", "-o", "json")
	if r.code != 0 {
		t.Fatalf("backup: exit %d\n%s", r.code, r.stderr)
	}
	var m backup.Manifest
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || m.Cloud != "euca-lab" || m.Nodes != 3 {
		t.Fatalf("backup -o json: %v %+v\n%s", err, m, r.stdout)
	}
	if st, err := os.Stat(filepath.Join(dir, "nsdb.backup")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the backup file: %v %v", st, err)
	}
	good, _ := os.ReadFile(filepath.Join(dir, "nsdb.backup"))

	// Never over an existing file unless told; a failed backup leaves nothing behind.
	r = midobake(t, dir, "backup", "--site", "site.yaml", "--zookeeper", addr, "--out-file", "nsdb.backup")
	if r.code == 0 || !strings.Contains(r.stderr, "nsdb.backup exists") {
		t.Errorf("backup over an existing file: exit %d\n%s", r.code, r.stderr)
	}
	r = midobake(t, dir, "backup", "--site", "site.yaml", "--zookeeper", fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)), "--out-file", "nsdb.backup", "--force", "--timeout", "10s")
	if r.code == 0 {
		t.Errorf("backup from a ZooKeeper that is not there succeeded")
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "nsdb.backup")); string(now) != string(good) {
		t.Errorf("a failed backup changed the earlier file")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".nsdb.backup.*")); len(left) != 0 {
		t.Errorf("a failed backup left %v", left)
	}

	// A truncated file is refused before any ZooKeeper is reached (there is none here).
	os.WriteFile(filepath.Join(dir, "cut.backup"), good[:len(good)/2], 0o644)
	r = midobake(t, dir, "restore", "--site", "site.yaml", "--zookeeper", "127.0.0.1:1", "cut.backup")
	if r.code == 0 || !strings.Contains(r.stderr, "truncated") || !strings.Contains(r.stderr, "nothing was written") {
		t.Errorf("restore of a truncated file: exit %d\n%s", r.code, r.stderr)
	}
	r = midobake(t, dir, "restore", "--site", "other.yaml", "--zookeeper", addr, "--replace", "nsdb.backup")
	if r.code == 0 || !strings.Contains(r.stderr, `a backup of cloud "euca-lab", not of "other-cloud"`) {
		t.Errorf("restore into another cloud: exit %d\n%s", r.code, r.stderr)
	}
	r = midobake(t, dir, "restore", "--site", "site.yaml", "--zookeeper", addr, "nsdb.backup")
	if r.code == 0 || !strings.Contains(r.stderr, "already holds /midonet") {
		t.Errorf("restore into an ensemble that holds data: exit %d\n%s", r.code, r.stderr)
	}

	// What changed since the backup is gone after restore --replace; what was backed up is back.
	conn.Delete("/midonet/zoom/bridge-1", -1)
	conn.Create("/midonet/zoom/bridge-2", []byte("after the backup"), 0, zk.WorldACL(zk.PermAll))
	r = midobake(t, dir, "restore", "--site", "site.yaml", "--zookeeper", addr, "--replace", "nsdb.backup")
	if r.code != 0 || !strings.Contains(r.stdout, "restored cloud euca-lab into "+addr+": 3 nodes") {
		t.Fatalf("restore --replace: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if data, _, err := conn.Get("/midonet/zoom/bridge-1"); err != nil || string(data) != "data of /midonet/zoom/bridge-1" {
		t.Errorf("bridge-1 after restore: %q %v", data, err)
	}
	if ok, _, _ := conn.Exists("/midonet/zoom/bridge-2"); ok {
		t.Errorf("bridge-2, created after the backup, is still there after restore --replace")
	}
}

// TestBackupIntoKeeps: --into names each backup by its time in the directory and --keep
// deletes the oldest of this cloud's backups only once the new one is written; files that
// are not this cloud's backups (another cloud's, an operator's copy, a symlink) stay.
func TestBackupIntoKeeps(t *testing.T) {
	z := testenv.NewZooKeeper(t)
	z.Start(t)
	addr := fmt.Sprintf("127.0.0.1:%d", z.Port)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "site.yaml"), []byte(midobake(t, dir, "example").stdout), 0o644)
	into := filepath.Join(dir, "backups")
	os.MkdirAll(into, 0o700)
	old := []string{"euca-lab-20250101T000000Z.backup", "euca-lab-20250102T000000Z.backup", "euca-lab-20250103T000000Z.backup"}
	others := []string{"other-cloud-20240101T000000Z.backup", "euca-lab-copy.backup", "euca-lab-20240101T000000Z.backup.bak"}
	for _, f := range append(append([]string{}, old...), others...) {
		os.WriteFile(filepath.Join(into, f), []byte("old"), 0o600)
	}
	os.Symlink("/etc/passwd", filepath.Join(into, "euca-lab-20200101T000000Z.backup"))

	r := midobake(t, dir, "backup", "--site", "site.yaml", "--zookeeper", addr, "--into", "backups", "--keep", "2", "-o", "json")
	if r.code != 0 {
		t.Fatalf("backup --into: exit %d\n%s", r.code, r.stderr)
	}
	var got struct {
		File   string   `json:"file"`
		Pruned []string `json:"pruned"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if want := old[:2]; strings.Join(got.Pruned, " ") != strings.Join(want, " ") {
		t.Errorf("pruned %v, want the two oldest %v", got.Pruned, want)
	}
	entries, _ := os.ReadDir(into)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := append([]string{filepath.Base(got.File), old[2], "euca-lab-20200101T000000Z.backup"}, others...)
	for _, w := range want {
		if !strings.Contains(" "+strings.Join(left, " ")+" ", " "+w+" ") {
			t.Errorf("%s is gone from the backup directory: %v", w, left)
		}
	}
	if len(left) != len(want) {
		t.Errorf("the backup directory holds %v, want %v", left, want)
	}
	if !strings.HasPrefix(filepath.Base(got.File), "euca-lab-") || !strings.HasSuffix(got.File, "Z.backup") {
		t.Errorf("the new backup is named %s", got.File)
	}
	r = midobake(t, dir, "restore", "--site", "site.yaml", "--zookeeper", "127.0.0.1:1", "-o", "json", got.File)
	if strings.Contains(r.stderr, "not a midobake backup") || strings.Contains(r.stderr, "truncated") {
		t.Errorf("the scheduled backup does not verify: %s", r.stderr)
	}

	for _, bad := range [][]string{{"--into", "backups", "--out-file", "x.backup"}, {"--keep", "2", "--out-file", "x.backup"}, {"--into", "backups", "-o", "yaml"}, {"--into", "backups", "--keep", "-1"}} {
		r := midobake(t, dir, append([]string{"backup", "--site", "site.yaml", "--zookeeper", addr}, bad...)...)
		if r.code != 2 {
			t.Errorf("backup %v: exit %d, want 2 (usage)\n%s", bad, r.code, r.stderr)
		}
	}
}
