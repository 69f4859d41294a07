// Command packer-plugin-midobake is midobake's Packer plugin: the "midobake" provisioner and
// data source (packer/provisioner, packer/datasource; see docs/).
package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/packer-plugin-sdk/plugin"
	"github.com/hashicorp/packer-plugin-sdk/version"

	mbversion "github.com/midobake/midobake/internal/version"
	"github.com/midobake/midobake/packer/datasource"
	"github.com/midobake/midobake/packer/provisioner"
)

func main() {
	pps := plugin.NewSet()
	pps.RegisterProvisioner(plugin.DEFAULT_NAME, new(provisioner.Provisioner))
	pps.RegisterDatasource(plugin.DEFAULT_NAME, new(datasource.Datasource))
	pps.SetVersion(version.NewRawVersion(mbversion.Version))
	if err := pps.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err.Error())
		os.Exit(1)
	}
}
