//go:build tools

// Package tools pins the Packer the end-to-end tests build their plugin against. Debian's
// packer (1.6) cannot load plugins made with packer-plugin-sdk, and "go install
// github.com/hashicorp/packer@..." needs version lists the module proxy here refuses; a
// module of its own that requires Packer 1.9.4 (the last MPL release) builds it.
package tools

import _ "github.com/hashicorp/packer"
