package firstboot

import (
	"context"
	"fmt"
	"strings"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// backup-schedule: the description's backup schedule as a systemd timer on the one host it
// names (the CLC unless it says another ZooKeeper host); on every other CLC or ZooKeeper host,
// no timer, so a schedule moved to another host, or turned off, leaves no second one behind.
func init() {
	register(Step{Name: "backup-schedule", Summary: "on the backup host: the backup timer of the description's schedule (removed from a host that no longer has it)",
		RunsFor:  []string{cloud.RoleCLC, cloud.RoleZooKeeper},
		Describe: describeBackup, Check: checkBackup, Do: doBackup})
}

// backupHere is the schedule when this host takes the backups.
func backupHere(e *Env) (cloud.Backup, bool) {
	b, on := e.c.BackupPlan()
	return b, on && b.Host == e.host.Name
}

func renderBackupUnits(e *Env, b cloud.Backup) (service, timer []byte, err error) {
	return roles.BackupUnits(e.top, e.opts.Templates, b)
}

// checkBackup: the units are as the templates render them for the schedule here, or absent.
func checkBackup(ctx context.Context, e *Env) Check {
	want := map[string][]byte{roles.BackupServicePath: nil, roles.BackupTimerPath: nil}
	b, here := backupHere(e)
	if here {
		service, timer, err := renderBackupUnits(e, b)
		if err != nil {
			return unknown("%v", err)
		}
		want[roles.BackupServicePath], want[roles.BackupTimerPath] = service, timer
	}
	for path, w := range want {
		got, err := e.opts.Root.Read(path)
		switch {
		case err != nil:
			return unknown("cannot read %s: %v", path, err)
		case !here && got != nil:
			return fails("%s is here, but the backups are not this host's", path)
		case here && string(got) != string(w):
			return fails("%s is not the one the templates render", path)
		}
	}
	if here {
		return holds("%s: %s into %s, keeping %d", roles.BackupTimer, b.Schedule, b.Directory, b.Keep)
	}
	return holds("no backup timer: %s", backupElsewhere(e))
}

// backupElsewhere says why this host has no backup timer.
func backupElsewhere(e *Env) string {
	if b, on := e.c.BackupPlan(); on {
		return "the backups are taken on " + b.Host
	}
	return "the description schedules no backups"
}

func describeBackup(e *Env) []string {
	b, here := backupHere(e)
	if !here {
		return []string{fmt.Sprintf("no backup timer (%s): remove %s and %s if an earlier description put them here", backupElsewhere(e), roles.BackupTimerPath, roles.BackupServicePath)}
	}
	return []string{
		fmt.Sprintf("write %s and %s: midobake backup --into %s --keep %d, on calendar %q", roles.BackupServicePath, roles.BackupTimerPath, b.Directory, b.Keep, b.Schedule),
		fmt.Sprintf("systemctl daemon-reload; systemctl --no-reload enable %s; systemctl restart %s", roles.BackupTimer, roles.BackupTimer),
	}
}

func doBackup(ctx context.Context, e *Env) (string, error) {
	b, here := backupHere(e)
	if !here {
		var removed []string
		for _, p := range []string{roles.BackupTimerPath, roles.BackupServicePath} {
			got, err := e.opts.Root.Read(p)
			if err != nil {
				return "", err
			}
			if got == nil {
				continue
			}
			if len(removed) == 0 {
				// Stop, then disable: systemd 219 before EL7.2 has no "disable --now".
				if err := e.cmd(ctx, nil, "systemctl", "stop", roles.BackupTimer); err != nil {
					return "", err
				}
				if err := e.cmd(ctx, nil, "systemctl", "--no-reload", "disable", roles.BackupTimer); err != nil {
					return "", err
				}
			}
			if err := e.opts.Root.Remove(p); err != nil {
				return "", err
			}
			removed = append(removed, p)
		}
		if len(removed) == 0 {
			return "no backup timer: " + backupElsewhere(e), nil
		}
		if err := e.cmd(ctx, nil, "systemctl", "daemon-reload"); err != nil {
			return "", err
		}
		return fmt.Sprintf("removed the backup timer (%s): %s", backupElsewhere(e), strings.Join(removed, ", ")), nil
	}
	service, timer, err := renderBackupUnits(e, b)
	if err != nil {
		return "", err
	}
	if _, err := e.opts.Root.Write(roles.BackupServicePath, service, 0o644); err != nil {
		return "", err
	}
	if _, err := e.opts.Root.Write(roles.BackupTimerPath, timer, 0o644); err != nil {
		return "", err
	}
	// One reload, for the new units (enabling needs none after it: each reload costs seconds
	// of a busy boot); restart, not start: a running timer keeps its old calendar until then.
	for _, args := range [][]string{{"daemon-reload"}, {"--no-reload", "enable", roles.BackupTimer}, {"restart", roles.BackupTimer}} {
		if err := e.cmd(ctx, nil, "systemctl", args...); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("backups %s into %s, keeping the newest %d (%s)", b.Schedule, b.Directory, b.Keep, roles.BackupTimer), nil
}
