package cloud

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/midobake/midobake/internal/testenv"
)

// Schedules validate accepts; systemd must accept every one of them too.
var goodSchedules = []string{
	"hourly", "daily", "weekly", "monthly",
	"02:30", "*-*-* 02:30", "*-*-* 02:30:15", "Mon,Thu *-*-* 03:00", "Mon-Fri 22:00",
	"Mon-Wed,Sat 04:00", "*-*-01 04:00", "*-1,7-1 00:00", "2027-*-* 00:00", "*-*-* 00/6:00",
	"*-*-* *:0/15", "*-*-* 02:*:00", "Sat,Sun 12-24 01:02:03", "*-*-* 1,2,3:30",
}

var badSchedules = map[string]string{
	"":                               "empty",
	"often":                          "time \"often\"",
	"Daily":                          "weekday",
	"25:00":                          "hour \"25\"",
	"*-*-* 02:60":                    "minute \"60\"",
	"*-13-* 00:00":                   "month \"13\"",
	"*-*-32 00:00":                   "day \"32\"",
	"Mon,Foo 00:00":                  "weekday \"Foo\"",
	"*-*-* 5..2:00":                  "hour \"5..2\"",
	"*-*-* 00:00/0":                  "the step",
	"*-*-* 00:50/20":                 "the step",
	"Mon..Fri 22:00":                 "write a range with -, like Mon-Fri",
	"Fri-Mon 22:00":                  "backwards",
	"*-*-1..7 04:00":                 "no ranges of numbers",
	"*:*/15":                         "repeats no *",
	"02:*":                           "write the seconds too",
	"*-*-* 00:00\nExecStart=/bin/sh": "minute",
	"*-*-*  00:00":                   "one space",
	"*-* 00:00 00:00":                "want [weekdays]",
	"Mon *-*-*-* 00:00":              "date",
	strings.Repeat("*", 70):          "longer than",
}

func TestCalendar(t *testing.T) {
	for _, s := range goodSchedules {
		if why := calendarProblem(s); why != "" {
			t.Errorf("%q refused: %s", s, why)
		}
	}
	for s, want := range badSchedules {
		if why := calendarProblem(s); !strings.Contains(why, want) {
			t.Errorf("%q: problem %q, want one that says %q", s, why, want)
		}
	}
}

// TestCalendarIsSystemds: what validate accepts, the real systemd accepts as an OnCalendar=
// expression (a schedule that passes validate never becomes a timer that does not fire).
func TestCalendarIsSystemds(t *testing.T) {
	analyze := testenv.Need(t, "systemd-analyze", "apt-get install systemd")
	for _, s := range goodSchedules {
		if out, err := exec.Command(analyze, "calendar", s).CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze calendar %q: %v\n%s", s, err, out)
		}
	}
}

// FuzzCalendar: whatever validate accepts is short and made of the characters of a calendar
// expression only, so nothing else can reach a unit file's OnCalendar= line, and systemd 219
// (the port of its parser) takes it as today's systemd does.
func FuzzCalendar(f *testing.F) {
	for _, s := range goodSchedules {
		f.Add(s)
	}
	for s := range badSchedules {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if calendarProblem(s) != "" {
			return
		}
		if why := sameOn219(s); why != "" {
			t.Errorf("%q %s", s, why)
		}
		if len(s) > maxCalendar || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*:,./- ") != "" {
			t.Errorf("accepted %q", s)
		}
	})
}
