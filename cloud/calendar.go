package cloud

import (
	"fmt"
	"strconv"
	"strings"
)

// A backup schedule becomes a systemd timer's OnCalendar= line. What validate accepts is a
// part of systemd's calendar grammar small enough to check here in full (so a schedule systemd
// would refuse is an error with a position, not a timer that never fires, and nothing but
// the expression can reach the unit file): a shorthand, or [weekdays] [date] time.

// CalendarShorthands are the schedules accepted as single words.
var CalendarShorthands = []string{"hourly", "daily", "weekly", "monthly"}

var weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

const maxCalendar = 64

// calendarProblem says what is wrong with a schedule, or "".
func calendarProblem(s string) string {
	if s == "" {
		return "empty"
	}
	if len(s) > maxCalendar {
		return fmt.Sprintf("longer than %d characters", maxCalendar)
	}
	fields := strings.Split(s, " ")
	if len(fields) == 1 && oneOf(s, CalendarShorthands) {
		return ""
	}
	for _, f := range fields {
		if f == "" {
			return "words are separated by one space"
		}
	}
	if f := fields[0]; f[0] >= 'A' && f[0] <= 'Z' {
		if why := weekdayProblem(f); why != "" {
			return why
		}
		fields = fields[1:]
	}
	if len(fields) == 2 {
		if why := dateProblem(fields[0]); why != "" {
			return why
		}
		fields = fields[1:]
	}
	if len(fields) != 1 {
		return "want [weekdays] [year-month-day] hour:minute[:second]"
	}
	return timeProblem(fields[0])
}

func weekdayProblem(f string) string {
	for _, item := range strings.Split(f, ",") {
		from, to, isRange := strings.Cut(item, "..")
		if !oneOf(from, weekdays) || isRange && !oneOf(to, weekdays) {
			return fmt.Sprintf("weekday %q: use %s, a range like Mon..Fri, or a list like Mon,Thu", item, strings.Join(weekdays, ", "))
		}
	}
	return ""
}

// calendarField bounds one component of a date or time.
type calendarField struct {
	name     string
	min, max int
}

var (
	dateFields = []calendarField{{"year", 1970, 2199}, {"month", 1, 12}, {"day", 1, 31}}
	timeFields = []calendarField{{"hour", 0, 23}, {"minute", 0, 59}, {"second", 0, 59}}
)

func dateProblem(f string) string {
	parts := strings.Split(f, "-")
	fields := dateFields
	switch len(parts) {
	case 3:
	case 2:
		fields = dateFields[1:] // month-day
	default:
		return fmt.Sprintf("date %q: want year-month-day (like *-*-* or *-*-01)", f)
	}
	for i, p := range parts {
		if why := componentProblem(p, fields[i]); why != "" {
			return "date: " + why
		}
	}
	return ""
}

func timeProblem(f string) string {
	parts := strings.Split(f, ":")
	if len(parts) != 2 && len(parts) != 3 {
		return fmt.Sprintf("time %q: want hour:minute or hour:minute:second (like 02:30)", f)
	}
	for i, p := range parts {
		if why := componentProblem(p, timeFields[i]); why != "" {
			return "time: " + why
		}
	}
	return ""
}

// componentProblem checks one component: "*", or a list of values, ranges (a..b) and
// repetitions (a/step, *\/step).
func componentProblem(p string, f calendarField) string {
	for _, item := range strings.Split(p, ",") {
		base, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			if n, err := strconv.Atoi(step); err != nil || n < 1 || n > f.max {
				return fmt.Sprintf("%s %q: the step after / is a number from 1 to %d", f.name, item, f.max)
			}
		}
		if base == "*" {
			continue
		}
		from, to, isRange := strings.Cut(base, "..")
		a, errA := boundedNumber(from, f)
		b, errB := a, errA
		if isRange {
			b, errB = boundedNumber(to, f)
		}
		if errA != nil || errB != nil || b < a {
			return fmt.Sprintf("%s %q: use *, a number from %d to %d, a range like %d..%d, or a list of them", f.name, item, f.min, f.max, f.min, f.min+1)
		}
	}
	return ""
}

func boundedNumber(s string, f calendarField) (int, error) {
	if s == "" || len(s) > 4 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("not a number")
	}
	n, _ := strconv.Atoi(s)
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("out of range")
	}
	return n, nil
}
