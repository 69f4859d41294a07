//go:generate go tool packer-sdc mapstructure-to-hcl2 -type ProvisionerConfig

// Package provisioner is the "midobake" provisioner of midobake's Packer plugin: it bakes a
// profile of a cloud description into a golden image by executing the profile's bake steps
// over Packer's communicator.
package provisioner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2/hcldec"
	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"
	"github.com/hashicorp/packer-plugin-sdk/template/config"
	"github.com/hashicorp/packer-plugin-sdk/template/interpolate"

	"github.com/midobake/midobake/packer/cloudfile"
	"github.com/midobake/midobake/roles"
)

// ProvisionerConfig is the provisioner's HCL configuration.
type ProvisionerConfig struct {
	// CloudFile is the cloud description to bake from.
	CloudFile string `mapstructure:"cloud_file" required:"true"`
	// CloudSHA256, when set (midobake render sets it), is the sha256 the cloud file must
	// have: the one the builds were rendered from.
	CloudSHA256 string `mapstructure:"cloud_sha256"`
	// Profile is the profile to bake: a host's roles joined by "+", as render names them.
	Profile string `mapstructure:"profile" required:"true"`
	// TemplatesDir overrides embedded templates, as render's --templates does.
	TemplatesDir string `mapstructure:"templates_dir"`
	// HookBinary is the linux midobake binary installed as the first-boot hook.
	HookBinary string `mapstructure:"hook_binary" required:"true"`

	ctx interpolate.Context
}

// Provisioner bakes one profile.
type Provisioner struct {
	config ProvisionerConfig
	plan   roles.Plan
}

// ConfigSpec is the provisioner's HCL schema.
func (p *Provisioner) ConfigSpec() hcldec.ObjectSpec { return p.config.FlatMapstructure().HCL2Spec() }

// Prepare checks the configuration: everything that can be wrong with the cloud file, the
// profile or the hook is reported here, so "packer validate" catches it before a build.
func (p *Provisioner) Prepare(raws ...interface{}) error {
	if err := config.Decode(&p.config, &config.DecodeOpts{
		PluginType:         "packer.provisioner.midobake",
		Interpolate:        true,
		InterpolateContext: &p.config.ctx,
	}, raws...); err != nil {
		return err
	}
	var errs *packersdk.MultiError
	if p.config.Profile == "" {
		errs = packersdk.MultiErrorAppend(errs, fmt.Errorf("profile is required"))
	}
	if p.config.HookBinary == "" {
		errs = packersdk.MultiErrorAppend(errs, fmt.Errorf("hook_binary is required: the linux midobake binary to install as the first-boot hook"))
	} else if st, err := os.Stat(p.config.HookBinary); err != nil || st.IsDir() {
		errs = packersdk.MultiErrorAppend(errs, fmt.Errorf("hook_binary %s: not a file (%v)", p.config.HookBinary, err))
	}
	c, _, err := cloudfile.Load(p.config.CloudFile, p.config.CloudSHA256)
	if err != nil {
		errs = packersdk.MultiErrorAppend(errs, err)
	} else if p.config.Profile != "" {
		plans, err := cloudfile.Plans(c, p.config.TemplatesDir)
		if err != nil {
			errs = packersdk.MultiErrorAppend(errs, err)
		}
		var names []string
		for _, pl := range plans {
			names = append(names, pl.Profile)
			if pl.Profile == p.config.Profile {
				p.plan = pl
			}
		}
		if p.plan.Profile == "" && err == nil {
			errs = packersdk.MultiErrorAppend(errs, fmt.Errorf("profile %q is not a profile of %s; its profiles are: %s", p.config.Profile, p.config.CloudFile, strings.Join(names, ", ")))
		}
	}
	if errs != nil && len(errs.Errors) > 0 {
		return errs
	}
	return nil
}

// Provision runs the profile's bake steps on the machine being built. A failing command
// fails the build with its output.
func (p *Provisioner) Provision(ctx context.Context, ui packersdk.Ui, comm packersdk.Communicator, _ map[string]interface{}) error {
	hook, err := os.ReadFile(p.config.HookBinary)
	if err != nil {
		return fmt.Errorf("hook_binary: %w", err)
	}
	steps := roles.Bake(p.plan, roles.File{Path: roles.HookPath, Mode: 0o755, Owner: "root:root", Content: hook})
	ui.Say(fmt.Sprintf("midobake: baking profile %s (%d steps)", p.plan.Profile, len(steps)))
	for i, s := range steps {
		ui.Say(fmt.Sprintf("midobake: [%d/%d] %s", i+1, len(steps), s.Name))
		if len(s.Files) > 0 {
			before, after := roles.UploadCommands(s.Files)
			if err := run(ctx, ui, comm, before); err != nil {
				return fmt.Errorf("%s: %w", s.Name, err)
			}
			for _, f := range s.Files {
				if err := comm.Upload(f.Path, bytes.NewReader(f.Content), nil); err != nil {
					return fmt.Errorf("%s: uploading %s: %w", s.Name, f.Path, err)
				}
			}
			if err := run(ctx, ui, comm, after); err != nil {
				return fmt.Errorf("%s: %w", s.Name, err)
			}
		}
		if s.Command != "" {
			if err := run(ctx, ui, comm, s.Command); err != nil {
				return fmt.Errorf("%s: %w", s.Name, err)
			}
		}
	}
	ui.Say("midobake: profile " + p.plan.Profile + " baked; host identity removed")
	return nil
}

// run runs a shell command remotely, streaming its output; a non-zero exit is an error
// that carries the output.
func run(ctx context.Context, ui packersdk.Ui, comm packersdk.Communicator, command string) error {
	var out bytes.Buffer
	cmd := &packersdk.RemoteCmd{Command: command, Stdout: &out, Stderr: &out}
	if err := cmd.RunWithUi(ctx, comm, ui); err != nil {
		return fmt.Errorf("%s: %w", command, err)
	}
	if status := cmd.ExitStatus(); status != 0 {
		return fmt.Errorf("%q exited with status %d:\n%s", command, status, strings.TrimSpace(out.String()))
	}
	return nil
}
