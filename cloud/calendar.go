package cloud

import (
	"fmt"
	"strconv"
	"strings"
)

// A backup schedule becomes a systemd timer's OnCalendar= line, read on EL7 by systemd 219
// (src/shared/calendarspec.c of the RHEL 7 branch; 208's, EL7.0, is the same grammar) and
// elsewhere by today's systemd. What validate accepts is the part of the grammar both read,
// and read the same way, small enough to check here in full: a schedule either refuses is an
// error with a position, never a timer 219 drops ("Failed to parse calendar specification,
// ignoring", then "lacks value setting": no backup is ever taken), and nothing but the
// expression can reach the unit file. The form: a shorthand, or [weekdays] [date] time.

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

// weekdayProblem checks a list of weekdays and ranges. systemd 219 writes a range Mon-Fri
// (parse_weekdays: '-' joins two names, in week order, one range per item) and knows no "..",
// which only later systemd added; today's systemd still takes Mon-Fri.
func weekdayProblem(f string) string {
	for _, item := range strings.Split(f, ",") {
		if strings.Contains(item, "..") {
			return fmt.Sprintf("weekday %q: write a range with -, like Mon-Fri (EL7's systemd 219 knows no ..)", item)
		}
		from, to, isRange := strings.Cut(item, "-")
		if !oneOf(from, weekdays) || isRange && !oneOf(to, weekdays) {
			return fmt.Sprintf("weekday %q: use %s, a range like Mon-Fri, or a list like Mon,Thu", item, strings.Join(weekdays, ", "))
		}
		if isRange && indexOf(to, weekdays) < indexOf(from, weekdays) {
			return fmt.Sprintf("weekday range %q runs backwards: write it in week order (Mon to Sun), or as a list", item)
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
	// systemd 219 leaves the seconds open when the minute is * and no seconds are written
	// (parse_calendar_time: seconds are 0 only after a minute that is not *), so 02:* fires
	// every second of that hour there, and once a minute on today's systemd.
	if len(parts) == 2 && parts[1] == "*" {
		return fmt.Sprintf("time %q: with minute * write the seconds too, like %s:*:00 (EL7's systemd 219 would fire every second)", f, parts[0])
	}
	return ""
}

// componentProblem checks one component: "*", or a list of numbers, each optionally repeated
// (a/step). That is all systemd 219 reads (parse_chain, prepend_component): no ranges of
// numbers, no repetition of *, and a repetition whose first step already passes the field's
// end is invalid there (chain_valid: value + repeat must stay within the field).
func componentProblem(p string, f calendarField) string {
	if p == "*" {
		return ""
	}
	for _, item := range strings.Split(p, ",") {
		base, step, hasStep := strings.Cut(item, "/")
		if base == "*" {
			return fmt.Sprintf("%s %q: repeat from a number, like 0/%s (EL7's systemd 219 repeats no *)", f.name, item, step)
		}
		if strings.Contains(base, "..") {
			return fmt.Sprintf("%s %q: list the values (like %d,%d) or repeat one (like %d/2): EL7's systemd 219 has no ranges of numbers", f.name, item, f.min, f.min+1, f.min)
		}
		a, err := boundedNumber(base, f)
		if err != nil {
			return fmt.Sprintf("%s %q: use *, a number from %d to %d, a repetition like %d/2, or a list of them", f.name, item, f.min, f.max, f.min)
		}
		if hasStep {
			if n, err := strconv.Atoi(step); err != nil || len(step) > 4 || n < 1 || a+n > f.max {
				return fmt.Sprintf("%s %q: the step after / is a number from 1 to %d (the value and one step stay within %d..%d)", f.name, item, max(f.max-a, 1), f.min, f.max)
			}
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

func indexOf(s string, list []string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
