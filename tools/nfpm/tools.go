//go:build tools

// Package tools pins nfpm, which packages the midobake binary as an RPM (make rpm): plain
// images install the first-boot hook from it. nfpm writes RPMs without rpmbuild.
package tools

import _ "github.com/goreleaser/nfpm/v2/cmd/nfpm"
