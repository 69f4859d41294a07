package firstboot

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/site"
)

// TestBackupSchedule: the description's backup schedule becomes a timer on the host it names,
// a changed schedule rewrites and restarts it, and a schedule turned off (or moved to another
// host) removes it.
func TestBackupSchedule(t *testing.T) {
	scheduled := loopbackCloud + "backup: {schedule: \"Mon,Thu *-*-* 03:00\", directory: /srv/nsdb-backups, keep: 3}\n"
	w := newWorld(t, scheduled)
	w.zk.Start(t)
	r := w.hook("clc1", nil)
	if r.code != 0 {
		t.Fatal(r.out)
	}
	files := w.files("clc1")
	service, timer := files[strings.TrimPrefix(roles.BackupServicePath, "/")], files[strings.TrimPrefix(roles.BackupTimerPath, "/")]
	if !strings.Contains(service, "\nExecStart="+roles.HookPath+" backup --site "+site.Path+" --into /srv/nsdb-backups --keep 3\n") {
		t.Errorf("the backup service:\n%s", service)
	}
	if !strings.Contains(timer, "\nOnCalendar=Mon,Thu *-*-* 03:00\nPersistent=true\n") || !strings.HasPrefix(timer, "644 ") {
		t.Errorf("the backup timer:\n%s", timer)
	}
	for _, c := range []string{"systemctl daemon-reload", "systemctl --no-reload enable midobake-backup.timer", "systemctl restart midobake-backup.timer"} {
		if !slices.Contains(r.log, c) {
			t.Errorf("the hook did not run %q: %v", c, r.log)
		}
	}
	if !strings.Contains(r.out, "backup-schedule: done (backups Mon,Thu *-*-* 03:00 into /srv/nsdb-backups, keeping the newest 3") {
		t.Errorf("the log does not say it:\n%s", r.out)
	}

	os.WriteFile(w.site, []byte(strings.Replace(scheduled, "Mon,Thu *-*-* 03:00", "daily", 1)), 0o644)
	if r = w.hook("clc1", nil); r.code != 0 || !slices.Contains(r.log, "systemctl restart midobake-backup.timer") {
		t.Errorf("a new schedule did not restart the timer: %v\n%s", r.log, r.out)
	}
	if !strings.Contains(w.files("clc1")[strings.TrimPrefix(roles.BackupTimerPath, "/")], "\nOnCalendar=daily\n") {
		t.Errorf("the timer does not have the new schedule")
	}

	os.WriteFile(w.site, []byte(loopbackCloud), 0o644)
	r = w.hook("clc1", nil)
	if r.code != 0 || !slices.Contains(r.log, "systemctl stop midobake-backup.timer") || !slices.Contains(r.log, "systemctl --no-reload disable midobake-backup.timer") {
		t.Errorf("turning backups off did not disable the timer: %v\n%s", r.log, r.out)
	}
	for _, p := range []string{roles.BackupServicePath, roles.BackupTimerPath} {
		if _, ok := w.files("clc1")[strings.TrimPrefix(p, "/")]; ok {
			t.Errorf("%s is still there", p)
		}
	}
	if !strings.Contains(r.out, "removed the backup timer (the description schedules no backups)") {
		t.Errorf("the log does not say it:\n%s", r.out)
	}
	// Nothing left to do: the next run runs nothing for it.
	if r = w.hook("clc1", nil); r.code != 0 || len(r.log) != 0 {
		t.Errorf("a re-run ran %v", r.log)
	}
}
