package cloud

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// systemd 219's calendar parser (EL7: src/shared/calendarspec.c of the RHEL 7 branch,
// calendar_spec_from_string and the functions it calls), ported as it is, so that the tests
// can hold validate to what EL7 reads. Today's systemd is the real one (TestCalendarIsSystemds).

// spec219 is what 219 makes of an expression: the weekday bits and, per field, the values
// (nil: any value, as 219's NULL chain).
type spec219 struct {
	weekdays                               int
	year, month, day, hour, minute, second []component219
}

type component219 struct{ value, repeat int }

var errInvalid219 = errors.New("EINVAL")

func parse219(p string) (spec219, error) {
	var c spec219
	zero := []component219{{0, 0}}
	switch strings.ToLower(p) {
	case "":
		return c, errInvalid219
	case "minutely":
		c.second = zero
	case "hourly":
		c.minute, c.second = zero, zero
	case "daily":
		c.hour, c.minute, c.second = zero, zero, zero
	case "monthly":
		c.day, c.hour, c.minute, c.second = []component219{{1, 0}}, zero, zero, zero
	case "weekly":
		c.weekdays, c.hour, c.minute, c.second = 1, zero, zero, zero
	default:
		rest, err := parseWeekdays219(p, &c)
		if err == nil {
			rest, err = parseDate219(rest, &c)
		}
		if err == nil {
			rest, err = parseTime219(rest, &c)
		}
		if err == nil && rest != "" {
			err = errInvalid219
		}
		if err != nil {
			return c, err
		}
	}
	if !valid219(c) {
		return c, errInvalid219
	}
	return c, nil
}

func parseWeekdays219(p string, c *spec219) (string, error) {
	names := []string{"Monday", "Mon", "Tuesday", "Tue", "Wednesday", "Wed", "Thursday", "Thu", "Friday", "Fri", "Saturday", "Sat", "Sunday", "Sun"}
	l, first := -1, true
	for {
		if !first && strings.HasPrefix(p, " ") {
			return p, nil
		}
		i := 0
		for ; i < len(names); i++ {
			n := names[i]
			if len(p) < len(n) || !strings.EqualFold(p[:len(n)], n) {
				continue
			}
			if len(p) > len(n) && !strings.ContainsRune("-, ", rune(p[len(n)])) {
				return p, errInvalid219
			}
			nr := i / 2
			c.weekdays |= 1 << nr
			if l >= 0 {
				if l > nr {
					return p, errInvalid219
				}
				for j := l + 1; j < nr; j++ {
					c.weekdays |= 1 << j
				}
			}
			p = p[len(n):]
			break
		}
		if i == len(names) {
			if first {
				return p, nil
			}
			return p, errInvalid219
		}
		if p == "" {
			return p, nil
		}
		if p[0] == ' ' {
			return strings.TrimLeft(p, " "), nil
		}
		if p[0] == '-' {
			if l >= 0 {
				return p, errInvalid219
			}
			l = i / 2
		} else {
			l = -1
		}
		p = p[1:]
		first = false
	}
}

// parseChain219 is parse_chain and prepend_component: "*", or value[/repeat][,...].
func parseChain219(p string) ([]component219, string, error) {
	if strings.HasPrefix(p, "*") {
		return nil, p[1:], nil
	}
	var out []component219
	for {
		n := len(p) - len(strings.TrimLeft(p, "0123456789"))
		if n == 0 {
			return nil, p, errInvalid219
		}
		v, err := strconv.Atoi(p[:n])
		if err != nil {
			return nil, p, errInvalid219
		}
		p = p[n:]
		cc := component219{value: v}
		if strings.HasPrefix(p, "/") {
			m := len(p[1:]) - len(strings.TrimLeft(p[1:], "0123456789"))
			if m == 0 {
				return nil, p, errInvalid219
			}
			r, err := strconv.Atoi(p[1 : 1+m])
			if err != nil || r <= 0 {
				return nil, p, errInvalid219
			}
			cc.repeat, p = r, p[1+m:]
		}
		if p != "" && !strings.ContainsRune(" ,-:", rune(p[0])) {
			return nil, p, errInvalid219
		}
		out = append(out, cc)
		if !strings.HasPrefix(p, ",") {
			return out, p, nil
		}
		p = p[1:]
	}
}

func parseDate219(p string, c *spec219) (string, error) {
	if p == "" {
		return p, nil
	}
	first, t, err := parseChain219(p)
	if err != nil {
		return p, err
	}
	if t == "" || t[0] == ':' {
		return p, nil // a time, not a date
	}
	if t[0] != '-' {
		return p, errInvalid219
	}
	second, t, err := parseChain219(t[1:])
	if err != nil {
		return p, err
	}
	if t == "" || t[0] == ' ' {
		c.month, c.day = first, second
		return strings.TrimLeft(t, " "), nil
	}
	if t[0] != '-' {
		return p, errInvalid219
	}
	third, t, err := parseChain219(t[1:])
	if err != nil {
		return p, err
	}
	if t == "" || t[0] == ' ' {
		c.year, c.month, c.day = first, second, third
		return strings.TrimLeft(t, " "), nil
	}
	return p, errInvalid219
}

func parseTime219(t string, c *spec219) (string, error) {
	zero := []component219{{0, 0}}
	if t == "" {
		if c.day != nil || c.weekdays > 0 {
			c.hour, c.minute, c.second = zero, zero, zero
		}
		return t, nil
	}
	h, t, err := parseChain219(t)
	if err != nil {
		return t, err
	}
	if !strings.HasPrefix(t, ":") {
		return t, errInvalid219
	}
	m, t, err := parseChain219(t[1:])
	if err != nil {
		return t, err
	}
	if t == "" {
		c.hour, c.minute = h, m
		if m != nil {
			c.second = zero // with a minute * the seconds stay open: every second
		}
		return t, nil
	}
	if !strings.HasPrefix(t, ":") {
		return t, errInvalid219
	}
	s, t, err := parseChain219(t[1:])
	if err != nil {
		return t, err
	}
	if t != "" {
		return t, errInvalid219
	}
	c.hour, c.minute, c.second = h, m, s
	return t, nil
}

// valid219 is calendar_spec_valid (after calendar_spec_normalize's two-digit years).
func valid219(c spec219) bool {
	chain := func(cs []component219, from, to int, year bool) bool {
		for _, x := range cs {
			v := x.value
			if year && v < 70 {
				v += 2000
			} else if year && v < 100 {
				v += 1900
			}
			if v < from || v > to || v+x.repeat > to {
				return false
			}
		}
		return true
	}
	return c.weekdays <= 127 && chain(c.year, 1970, 2199, true) && chain(c.month, 1, 12, false) &&
		chain(c.day, 1, 31, false) && chain(c.hour, 0, 23, false) && chain(c.minute, 0, 59, false) && chain(c.second, 0, 59, false)
}

// systemd219Rules is what 219 does with the forms a user writes, and why (by the function of
// calendarspec.c that decides). validate must refuse every form 219 refuses or reads
// differently from today's systemd.
var systemd219Rules = []struct {
	schedule string
	accepts  bool
	why      string
}{
	{"daily", true, "shorthand"},
	{"Mon-Fri 22:00", true, "parse_weekdays: '-' makes a range"},
	{"Mon-Wed,Sat 22:00", true, "parse_weekdays: a range, then a list"},
	{"Mon..Fri 22:00", false, "parse_weekdays: a name must be followed by '-', ',' or ' '"},
	{"Mon-Wed-Fri 22:00", false, "parse_weekdays: one range per item"},
	{"Fri-Mon 22:00", false, "parse_weekdays: a range runs in week order"},
	{"*-*-1..7 04:00", false, "prepend_component: a number is followed by '/', ' ', ',', '-' or ':'"},
	{"*-*-* 1..5:30", false, "prepend_component: no ranges of numbers"},
	{"*:*/15", false, "parse_chain: '*' takes no repetition"},
	{"*-*-* *:0/15:00", true, "prepend_component: a repetition on a number"},
	{"*-*-* 00:50/20", false, "chain_valid: value plus repeat past the field's end"},
	{"*-*-* 00/6:00", true, "prepend_component: a repetition on the hour"},
	{"*-1,7-1 00:00", true, "prepend_component: a list"},
	{"2027-*-* 00:00", true, "parse_date: year-month-day"},
	{"12-24 01:02:03", true, "parse_date: two parts are month-day"},
}

func TestCalendarIsSystemd219s(t *testing.T) {
	for _, r := range systemd219Rules {
		_, err := parse219(r.schedule)
		if (err == nil) != r.accepts {
			t.Errorf("the port of 219's parser: %q accepted=%v, the rule says %v (%s)", r.schedule, err == nil, r.accepts, r.why)
		}
		if !r.accepts && calendarProblem(r.schedule) == "" {
			t.Errorf("validate accepts %q, which systemd 219 refuses (%s)", r.schedule, r.why)
		}
	}
	for _, s := range goodSchedules {
		if why := sameOn219(s); why != "" {
			t.Errorf("%q: %s", s, why)
		}
	}
	// A minute * without seconds parses on 219, but fires every second there.
	if c, err := parse219("02:*"); err != nil || c.second != nil {
		t.Errorf("219 reads 02:* as %+v, %v; the port must leave its seconds open", c, err)
	}
	if calendarProblem("02:*") == "" {
		t.Error("validate accepts 02:*, which 219 reads as every second of the hour")
	}
}

// sameOn219 says how 219 fails to take an accepted schedule as today's systemd does, or "".
func sameOn219(s string) string {
	c, err := parse219(s)
	if err != nil {
		return "accepted, but systemd 219 refuses it"
	}
	if !oneOf(s, CalendarShorthands) && c.second == nil && !strings.Contains(s[strings.LastIndex(s, " ")+1:], "::") &&
		strings.Count(s[strings.LastIndex(s, " ")+1:], ":") == 1 {
		return "accepted, but systemd 219 leaves its seconds open (every second)"
	}
	return ""
}
