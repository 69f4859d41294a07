package firstboot

import (
	"encoding/json"
	"fmt"

	"github.com/midobake/midobake/roles"
	"github.com/midobake/midobake/system"
)

// state is what the hook has finished on this host, kept in /var/lib/midobake/state.json.
// A step counts as done only for the site data it ran with: a changed description makes
// every step run again (each is idempotent), which is how a host picks up a new ensemble.
type state struct {
	Host  string              `json:"host"`
	Site  string              `json:"siteSha256"`
	Steps map[StepName]string `json:"steps"` // step -> site hash it completed with
	// Inputs: per service, a hash of each input it was last (re)started with (services.go).
	Inputs map[string]map[string]string `json:"serviceInputs,omitempty"`
	// Written: for the settings files the hook takes from the render (/etc/midobake/...),
	// the site data hash they are for (steps.go, settingsFile).
	Written map[string]string `json:"written,omitempty"`
	// Template is the Midolman template mn-conf template-set last gave this host.
	Template string `json:"template,omitempty"`
}

func loadState(root system.Root) (*state, error) {
	b, err := root.Read(roles.StatePath)
	if err != nil {
		return nil, err
	}
	s := &state{Steps: map[StepName]string{}, Inputs: map[string]map[string]string{}}
	if b == nil {
		return s, nil
	}
	if err := json.Unmarshal(b, s); err != nil {
		// A torn or hand-edited file must not wedge the host: start over, every step is
		// idempotent.
		return &state{Steps: map[StepName]string{}, Inputs: map[string]map[string]string{}}, fmt.Errorf("ignoring unreadable %s: %v", roles.StatePath, err)
	}
	if s.Steps == nil {
		s.Steps = map[StepName]string{}
	}
	if s.Inputs == nil {
		s.Inputs = map[string]map[string]string{}
	}
	return s, nil
}

func (s *state) save(root system.Root) error {
	b, _ := json.MarshalIndent(s, "", "  ")
	_, err := root.Write(roles.StatePath, append(b, '\n'), 0o644)
	return err
}
