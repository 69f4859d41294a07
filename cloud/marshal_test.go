package cloud_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/synth"
)

// TestMarshalBatchedIsOneEncode: Marshal encodes the hosts in batches and splices them in;
// the bytes must be those one yaml.v3 Encode of the whole cloud writes, since every host
// verifies the site data by its hash and the review shows its text. Hostile strings
// (multi-line, leading spaces, quotes, empty lines) in host fields take the other styles
// yaml.v3 has (literal blocks, quoted scalars) through the batch's indentation.
func TestMarshalBatchedIsOneEncode(t *testing.T) {
	hostile := []string{"a\nb", "  lead", "x\n\n  y\n", "'q'\"", "tab\there", "trail \n", "- dash", "#c", "\n", ""}
	clouds := map[string]*cloud.Cloud{}
	for _, n := range []int{8, 257, 1000, 2049} {
		c, rep := cloud.Load("synth.yaml", synth.Cloud(n, 3))
		if c == nil {
			t.Fatal(rep.Format(false))
		}
		clouds["synth"+strings.Repeat("+", n%7)+string(rune('0'+n%10))] = c
	}
	c, _ := cloud.Load("synth.yaml", synth.Cloud(600, 5))
	for i := range c.Hosts {
		h := &c.Hosts[i]
		s := hostile[i%len(hostile)]
		switch i % 4 {
		case 0:
			h.Template = s
		case 1:
			h.PrimaryInterface = s
		case 2:
			h.PreflightIgnore = []string{s, "memory"}
		case 3:
			h.Uplink = s
		}
	}
	clouds["hostile"] = c
	for name, c := range clouds {
		var want bytes.Buffer
		enc := yaml.NewEncoder(&want)
		enc.SetIndent(2)
		if err := enc.Encode(c); err != nil {
			t.Fatal(err)
		}
		enc.Close()
		if diff := cmp.Diff(want.String(), string(c.Marshal())); diff != "" {
			t.Errorf("%s (%d hosts): Marshal differs from one Encode (-want +got):\n%s", name, len(c.Hosts), diff)
		}
	}
}
