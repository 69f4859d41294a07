package status

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/midobake/midobake/report"
)

// Lines is the status as text: a header, one line per host (starting with its name), one
// per check, and the verdict last. Every text from a report or ZooKeeper was made printable
// when it was read.
func (s Status) Lines() []string {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tROLES\tFIRST BOOT\tSITE\tMIDOLMAN\tTUNNEL ZONE\tNSDB\tPROBLEMS")
	for _, h := range s.Hosts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Name, roles(h), bootCell(h.FirstBoot), h.Site, h.Midolman,
			zoneCell(h.TunnelZone), nsdbCell(h.Services), problemsCell(h))
	}
	tw.Flush()
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	for _, c := range s.Checks {
		verdict := "ok"
		switch {
		case !c.Checked:
			verdict = "not checked"
		case !c.OK:
			verdict = "FAILED"
		}
		lines = append(lines, fmt.Sprintf("check %s: %s: %s", c.Name, verdict, c.Detail))
	}
	return append(lines, s.Verdict())
}

// Verdict is the last line.
func (s Status) Verdict() string {
	if s.Converged {
		return fmt.Sprintf("cloud %s: converged", s.Cloud)
	}
	return fmt.Sprintf("cloud %s: NOT converged: %d problem%s", s.Cloud, s.Problems, map[bool]string{true: "", false: "s"}[s.Problems == 1])
}

// Write prints the text.
func (s Status) Write(w io.Writer) error {
	_, err := io.WriteString(w, strings.Join(s.Lines(), "\n")+"\n")
	return err
}

func roles(h Host) string {
	r := strings.Join(h.Roles, ",")
	if !h.Described {
		r = "(not in the description)"
	}
	if r == "" {
		r = "-"
	}
	return r
}

func bootCell(b Boot) string {
	switch b.State {
	case "no-report":
		return "no report"
	case "unknown":
		return "unknown"
	case "untrusted":
		return "UNTRUSTED report"
	case report.Done:
		return fmt.Sprintf("done (%d steps)", b.Total)
	case report.Failed:
		return fmt.Sprintf("FAILED at %d/%d %s", b.Index, b.Total, b.Step)
	case report.Waiting:
		return fmt.Sprintf("waiting at %d/%d %s", b.Index, b.Total, b.Step)
	}
	return fmt.Sprintf("at %d/%d %s", b.Index, b.Total, b.Step)
}

func zoneCell(m Member) string {
	switch m.State {
	case "member":
		return "member at " + m.Address
	case "other-address":
		return "AT " + m.Address + " (want " + m.Want + ")"
	case "none":
		return "-"
	}
	return m.State
}

func nsdbCell(svcs []Svc) string {
	if len(svcs) == 0 {
		return "-"
	}
	var parts []string
	for _, s := range svcs {
		state := s.State
		if !s.OK {
			state = "DOWN"
			if strings.HasPrefix(s.State, "unknown") {
				state = "unknown"
			}
		}
		parts = append(parts, s.Name+" "+state)
	}
	return strings.Join(parts, ", ")
}

func problemsCell(h Host) string {
	if !h.Described {
		if h.FirstBoot.State == "untrusted" {
			return "report not trusted: " + h.FirstBoot.Why
		}
		return strings.Join(h.Problems, "; ")
	}
	out := strings.Join(h.Problems, "; ")
	if out == "" {
		return "-"
	}
	return out
}
