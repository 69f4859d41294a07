// Command packer-plugin-midobake is midobake's Packer plugin: the "midobake" provisioner and
// data source (see packer/ and docs/).
package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/packer-plugin-sdk/plugin"
	"github.com/hashicorp/packer-plugin-sdk/version"

	mbversion "github.com/midobake/midobake/internal/version"
	mbpacker "github.com/midobake/midobake/packer"
)

func main() {
	pps := plugin.NewSet()
	pps.RegisterProvisioner(plugin.DEFAULT_NAME, new(mbpacker.Provisioner))
	pps.RegisterDatasource(plugin.DEFAULT_NAME, new(mbpacker.Datasource))
	pps.SetVersion(version.NewRawVersion(mbversion.Version))
	if err := pps.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err.Error())
		os.Exit(1)
	}
}
