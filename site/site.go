// Package site is the site data's identity, shared by everything that writes, fetches,
// serves or compares it: its hash (defined here once), the reference file a user-data
// rendered with --site-url carries, where it lives on a host, how a host finds itself in it,
// and serve's wire for the reports hosts send. It imports the model and the host's system
// only, so that a reader (status) needs no emitter, template engine or hook.
package site

import (
	"crypto/sha256"
	"encoding/hex"

	"gopkg.in/yaml.v3"
)

// Where the site data and its reference live on a host.
const (
	// Path is the site data, the cloud description the hook runs from.
	Path = "/etc/midobake/cloud.yaml"
	// RefPath holds, for a user-data rendered with --site-url, where to fetch the site data
	// and its SHA-256; the hook fetches and verifies it into Path.
	RefPath = "/etc/midobake/site.ref"
	// ServePath is where serve publishes the site data, under its base URL.
	ServePath = "site/cloud.yaml"
)

// Hash is the site data's identity: the hex SHA-256 of its bytes. The reference file, the
// manifest, the hook's state and reports, and status all compare this.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Ref is the content of the reference file.
type Ref struct {
	URL    string `yaml:"url"`
	SHA256 string `yaml:"sha256"`
}

// MarshalRef is the reference file for site data served at url.
func MarshalRef(url string, data []byte) []byte {
	b, err := yaml.Marshal(Ref{URL: url, SHA256: Hash(data)})
	if err != nil {
		panic("site: marshal reference: " + err.Error()) // two strings cannot fail
	}
	return b
}
