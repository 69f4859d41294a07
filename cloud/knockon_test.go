package cloud

import (
	"strings"
	"testing"
)

// TestOneProblemOnce: an error is reported where it is, once, with no knock-on finding from
// a rule that depends on the broken field (a gateway matched to hosts by address, a gateway
// judged by roles).
func TestOneProblemOnce(t *testing.T) {
	for name, edit := range map[string][2]string{
		"gateway host's address": {"address: 10.111.5.30", "address: 10.111.5.3000"},
		"gateway host's role":    {"roles: [ufs]", "roles: [ufx]"},
	} {
		data := strings.Replace(string(Example()), edit[0], edit[1], 1)
		if data == string(Example()) {
			t.Fatalf("%s: the example has no %q", name, edit[0])
		}
		_, rep := Load("cloud.yaml", []byte(data))
		if len(rep.Diags) != 1 || rep.Diags[0].Severity != Error {
			t.Errorf("%s: want the one error, got:\n%s", name, rep.Format(false))
		}
	}
	// The gateway rule itself still holds when nothing it depends on is broken.
	data := strings.Replace(string(Example()), "Ip: 10.111.5.30", "Ip: 10.111.5.99", 1)
	if _, rep := Load("cloud.yaml", []byte(data)); len(rep.Diags) != 1 || rep.Diags[0].Kind != KindGatewayNotAHost {
		t.Errorf("a gateway no host has: got:\n%s", rep.Format(false))
	}
}
