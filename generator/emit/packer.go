package emit

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/midobake/midobake/internal/version"
	"github.com/midobake/midobake/roles"
)

// DefaultPackerSource is the source the builds use unless told otherwise: a null builder
// reaching the machine over SSH (render also writes its block).
const DefaultPackerSource = "null.midobake"

var packerSourceRE = regexp.MustCompile(`^[a-z0-9-]+\.[a-z0-9_-]+$`)

// CheckPackerSource validates a TYPE.NAME source reference.
func CheckPackerSource(s string) error {
	if !packerSourceRE.MatchString(s) {
		return fmt.Errorf("--packer-source %q: write TYPE.NAME, like amazon-ebs.midobake", s)
	}
	return nil
}

// BuildName is a profile's Packer build name ("+" is not allowed there).
func BuildName(profile string) string { return strings.ReplaceAll(profile, "+", "-") }

// packerFiles renders the Packer templates: shared variables and data source, the default
// source, and one build per profile. Output goes through hclwrite's formatter, so it always
// passes "packer fmt -check".
func packerFiles(top roles.Topology, plans []roles.Plan, t *roles.Templates, source string, input []byte) (map[string][]byte, error) {
	vars := roles.CloudVars(top)
	// The builds bake the description this output was rendered from, and no other.
	vars["cloud_sha256"] = sha256Hex(input)
	vars["version"] = version.Version
	vars["plugin_version"] = version.Version
	out := map[string][]byte{}
	render := func(tmpl, path string, extra map[string]any) error {
		b, err := t.Render(tmpl, vars, extra)
		if err != nil {
			return err
		}
		out[path] = hclwrite.Format(b)
		return nil
	}
	if err := render("packer-variables.pkr.hcl.tmpl", "packer/variables.pkr.hcl", nil); err != nil {
		return nil, err
	}
	if source == DefaultPackerSource {
		if err := render("packer-source.pkr.hcl.tmpl", "packer/source.pkr.hcl", nil); err != nil {
			return nil, err
		}
	}
	for _, p := range plans {
		err := render("packer-build.pkr.hcl.tmpl", "packer/"+p.Profile+".pkr.hcl", map[string]any{
			"profile": p.Profile, "build_name": BuildName(p.Profile), "hosts": joinComma(p.Hosts), "source": source,
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
