// Package cloudfile is how the plugin's provisioner and data source read the cloud file:
// bounded, validated, with positioned errors, and turned into the plans they bake from.
package cloudfile

import (
	"fmt"
	"sort"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/roles"
)

// Load reads and validates a cloud description, with positioned errors.
func Load(file string) (*cloud.Cloud, error) {
	if file == "" {
		return nil, fmt.Errorf("cloud_file is required")
	}
	data, err := cloud.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cloud_file: %w", err)
	}
	c, rep := cloud.Load(file, data)
	if c == nil {
		return nil, fmt.Errorf("cloud_file %s is not a valid cloud description:\n%s", file, rep.Format(false))
	}
	return c, nil
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
