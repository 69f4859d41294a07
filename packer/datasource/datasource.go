//go:generate go tool packer-sdc mapstructure-to-hcl2 -type DatasourceConfig,DatasourceOutput

// Package datasource is the "midobake" data source of midobake's Packer plugin: it exposes a
// cloud description's profiles, packages and repositories (redacted) to templates.
package datasource

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/packer-plugin-sdk/hcl2helper"
	"github.com/hashicorp/packer-plugin-sdk/template/config"
	"github.com/zclconf/go-cty/cty"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/version"
	"github.com/midobake/midobake/packer/cloudfile"
	"github.com/midobake/midobake/roles"
)

// DatasourceConfig is the data source's HCL configuration.
type DatasourceConfig struct {
	// CloudFile is the cloud description to read.
	CloudFile string `mapstructure:"cloud_file" required:"true"`
	// CloudSHA256, when set (midobake render sets it), is the sha256 the cloud file must
	// have: the one the builds were rendered from.
	CloudSHA256 string `mapstructure:"cloud_sha256"`
}

// DatasourceOutput is what templates can read from data.midobake.NAME.
type DatasourceOutput struct {
	// CloudName is the cloud's name.
	CloudName string `mapstructure:"cloud_name"`
	// CloudSHA256 is the sha256 of the cloud file: recorded in each image's manifest.
	CloudSHA256 string `mapstructure:"cloud_sha256"`
	// MidobakeVersion is the version of the plugin that read it.
	MidobakeVersion string `mapstructure:"midobake_version"`
	// Profiles are the cloud's profiles, sorted.
	Profiles []string `mapstructure:"profiles"`
	// Packages maps a profile to its packages, space-separated.
	Packages map[string]string `mapstructure:"packages"`
	// Repos maps a repository ID to its base URL, credentials redacted.
	Repos map[string]string `mapstructure:"repos"`
}

// Datasource reads a cloud description.
type Datasource struct {
	config DatasourceConfig
}

// ConfigSpec is the data source's HCL schema.
func (d *Datasource) ConfigSpec() hcldec.ObjectSpec { return d.config.FlatMapstructure().HCL2Spec() }

// Configure decodes and checks the configuration.
func (d *Datasource) Configure(raws ...interface{}) error {
	if err := config.Decode(&d.config, nil, raws...); err != nil {
		return err
	}
	_, _, err := cloudfile.Load(d.config.CloudFile, d.config.CloudSHA256)
	return err
}

// OutputSpec is the HCL schema of the output.
func (d *Datasource) OutputSpec() hcldec.ObjectSpec {
	return (&DatasourceOutput{}).FlatMapstructure().HCL2Spec()
}

// Execute reads the cloud and returns its facts.
func (d *Datasource) Execute() (cty.Value, error) {
	c, data, err := cloudfile.Load(d.config.CloudFile, d.config.CloudSHA256)
	if err != nil {
		return cty.NullVal(cty.EmptyObject), err
	}
	ps, err := cloudfile.Plans(c, "")
	if err != nil {
		return cty.NullVal(cty.EmptyObject), err
	}
	sum := sha256.Sum256(data)
	out := DatasourceOutput{CloudName: c.Name, CloudSHA256: hex.EncodeToString(sum[:]), MidobakeVersion: version.Version,
		Packages: map[string]string{}, Repos: map[string]string{}}
	for _, p := range ps {
		out.Profiles = append(out.Profiles, p.Profile)
		out.Packages[p.Profile] = strings.Join(p.Packages, " ")
	}
	for id, r := range roles.Repos(c) {
		out.Repos[id] = cloud.RedactURL(r.BaseURL)
	}
	return hcl2helper.HCL2ValueFromConfig(out, d.OutputSpec()), nil
}
