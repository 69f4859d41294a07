// Package cloudfile is how the plugin's provisioner and data source read the cloud file:
// bounded, validated, with positioned errors, and turned into the plans they bake from.
package cloudfile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// Load reads and validates a cloud description, with positioned errors. With want (the
// sha256 midobake render wrote into the builds) it refuses any other file: the images must
// bake the description the output was rendered from, not one that happens to be at hand.
func Load(file, want string) (*cloud.Cloud, []byte, error) {
	if file == "" {
		return nil, nil, fmt.Errorf("cloud_file is required")
	}
	data, err := cloud.ReadFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("cloud_file: %w", err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); want != "" && got != want {
		return nil, nil, fmt.Errorf("cloud_file %s has sha256 %s, but these builds were rendered from a cloud file with sha256 %s: pass the file midobake render read, or render again from this one", file, got, want)
	}
	c, rep := cloud.Load(file, data)
	if c == nil {
		return nil, nil, fmt.Errorf("cloud_file %s is not a valid cloud description:\n%s", file, rep.Format(false))
	}
	return c, data, nil
}

// Plans are the cloud's plans, by profile, with the templates of templatesDir ("" for the
// built-in ones).
func Plans(c *cloud.Cloud, templatesDir string) ([]roles.Plan, error) {
	t, err := roles.NewTemplates(templatesDir)
	if err != nil {
		return nil, err
	}
	ps, err := roles.Plans(roles.Resolve(c), t)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Profile < ps[j].Profile })
	return ps, err
}
