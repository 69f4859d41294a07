package emit

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/midobake/midobake/cloud"
)

// MaxSiteURL bounds --site-url: it is written into every user-data.
const MaxSiteURL = 2048

// CheckSiteURL accepts "" (the site data inline) or an absolute http or https URL with a
// host and no fragment. A URL ending in / is a directory where the operator publishes the
// output's site/ directory; any other URL is the site data's own (a presigned URL, say).
func CheckSiteURL(raw string) error {
	if raw == "" {
		return nil
	}
	bad := func(why string) error {
		return fmt.Errorf("--site-url %s: %s; want an http:// or https:// URL, a directory ending in / (where site/ of the output is published) or the site data's own URL",
			cloud.Printable(cloud.RedactURL(raw), 200), why)
	}
	if len(raw) > MaxSiteURL {
		return bad(fmt.Sprintf("%d bytes, at most %d", len(raw), MaxSiteURL))
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f || r > 0x7e {
			return bad("white space, control or non-ASCII characters (percent-encode them)")
		}
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return bad("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("the scheme must be http or https")
	case u.Host == "":
		return bad("no host")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return bad("a fragment (#...) is never sent to the server")
	}
	return nil
}

// SiteDataURL is where the hook fetches the site data from, given --site-url: a directory
// URL gets the file name of SiteDataPath.
func SiteDataURL(siteURL string) string {
	if siteURL == "" || !strings.HasSuffix(siteURL, "/") {
		return siteURL
	}
	return siteURL + strings.TrimPrefix(SiteDataPath, "site/")
}
