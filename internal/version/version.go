// Package version holds midobake's version: recorded in every output, the plugin's version
// for required_plugins, and the RPM's. The Makefile reads it from here.
package version

// Version is set at build time with
// -ldflags "-X github.com/midobake/midobake/internal/version.Version=...".
var Version = "0.1.0"
