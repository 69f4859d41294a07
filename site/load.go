package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/system"
)

// Source says where the site data comes from: the file Path, or, when the reference file
// Ref exists (user-data rendered with --site-url), the URL it names, verified against the
// SHA-256 it gives and then kept at Path.
type Source struct {
	Path    string
	Ref     string
	DryRun  bool // fetch and verify, but keep nothing
	Timeout time.Duration
	HTTP    *http.Client
	Backoff system.Backoff
	Out     io.Writer
}

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// maxRefSize bounds the reference file: a URL and a hash.
const maxRefSize = 64 << 10

// ParseRef reads and checks a reference file.
func ParseRef(name string, data []byte) (Ref, error) {
	var ref Ref
	if len(data) > maxRefSize {
		return ref, fmt.Errorf("%s: larger than %d KiB", name, maxRefSize>>10)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&ref); err != nil {
		return ref, fmt.Errorf("%s: not a site reference (url: and sha256:): %s", name, cloud.Printable(err.Error(), 200))
	}
	u, err := url.Parse(ref.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ref, fmt.Errorf("%s: url %s: want an http:// or https:// URL", name, cloud.Printable(cloud.RedactURL(ref.URL), 200))
	}
	if !hexSHA256.MatchString(ref.SHA256) {
		return ref, fmt.Errorf("%s: sha256 %s: want 64 lower-case hex digits", name, cloud.Printable(ref.SHA256, 80))
	}
	return ref, nil
}

// Load returns the site data. Without a reference file it is Path's content. With one,
// Path's content if it has the reference's hash (a re-run, or a later boot), else what the URL
// serves, fetched with retries until the timeout, refused unless its hash is the reference's,
// and kept at Path (0600) only then: a host never runs on, or keeps, data it cannot verify.
func Load(ctx context.Context, src Source) ([]byte, error) {
	refData, err := readBounded(src.Ref, maxRefSize)
	if src.Ref == "" || errors.Is(err, os.ErrNotExist) {
		data, err := cloud.ReadFile(src.Path)
		if err != nil {
			return nil, fmt.Errorf("cannot read the site data: %w", err)
		}
		return data, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the site reference: %w", err)
	}
	ref, err := ParseRef(src.Ref, refData)
	if err != nil {
		return nil, err
	}
	if local, err := cloud.ReadFile(src.Path); err == nil && Hash(local) == ref.SHA256 {
		fmt.Fprintf(src.Out, "site data: %s is the one %s names (sha256 %.12s)\n", src.Path, src.Ref, ref.SHA256)
		return local, nil
	}
	if src.Timeout <= 0 {
		src.Timeout = 30 * time.Minute
	}
	if src.Backoff == (system.Backoff{}) {
		src.Backoff = system.DefaultBackoff
	}
	if src.HTTP == nil {
		src.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	shown := cloud.Printable(cloud.RedactURL(ref.URL), 300)
	ctx, cancel := context.WithTimeout(ctx, src.Timeout)
	defer cancel()
	delay := src.Backoff.Initial
	for attempt := 1; ; attempt++ {
		data, final, err := fetch(ctx, src.HTTP, ref)
		if err == nil {
			from := ""
			if final != ref.URL {
				from = ", redirected to " + cloud.Printable(cloud.RedactURL(final), 300)
			}
			if src.DryRun {
				fmt.Fprintf(src.Out, "site data: fetched %s%s and verified (sha256 %.12s, %d bytes); --dry-run: not kept\n", shown, from, ref.SHA256, len(data))
				return data, nil
			}
			abs, err := filepath.Abs(src.Path)
			if err != nil {
				return nil, err
			}
			if _, err := system.Root("/").Write(abs, data, 0o600); err != nil {
				return nil, fmt.Errorf("site data verified, but keeping it failed: %w", err)
			}
			fmt.Fprintf(src.Out, "site data: fetched %s%s, verified (sha256 %.12s, %d bytes), kept at %s\n", shown, from, ref.SHA256, len(data), src.Path)
			return data, nil
		}
		if errors.Is(err, cloud.ErrTooLarge) {
			// Not worth waiting for: nothing midobake publishes is that large.
			return nil, fmt.Errorf("site data: %s: %v", shown, err)
		}
		if dl, _ := ctx.Deadline(); time.Until(dl) < delay {
			return nil, fmt.Errorf("site data: %s: gave up after %d attempts in %s: %v", shown, attempt, src.Timeout, err)
		}
		fmt.Fprintf(src.Out, "site data: %s: attempt %d: %v; next try in %s\n", shown, attempt, err, delay)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("site data: %s: gave up after %d attempts: %v", shown, attempt, err)
		case <-time.After(delay):
		}
		delay = min(delay*2, src.Backoff.Max)
	}
}

// fetch gets the site data once and verifies it; it returns the URL it ended at.
func fetch(ctx context.Context, client *http.Client, ref Ref) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref.URL, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its text repeats the URL, credentials and all
		}
		return nil, "", fmt.Errorf("%s", cloud.Printable(cloud.Redact(err.Error()), 300))
	}
	defer resp.Body.Close()
	final := resp.Request.URL.String()
	if resp.StatusCode != http.StatusOK {
		return nil, final, fmt.Errorf("HTTP %s", cloud.Printable(resp.Status, 80))
	}
	data, err := cloud.ReadLimited(resp.Body)
	if err != nil {
		return nil, final, fmt.Errorf("refused: %w", err)
	}
	if got := Hash(data); got != ref.SHA256 {
		return nil, final, fmt.Errorf("refused: its sha256 is %.12s…, the user-data expects %.12s… (publish site/cloud.yaml of the same render)", got, ref.SHA256)
	}
	return data, final, nil
}

// readBounded reads at most limit+1 bytes of a file: enough to tell it is too large.
func readBounded(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

// RefURL is the URL the reference file at ref names, or "" (no reference, or a bad one:
// Load says why).
func RefURL(ref string) string {
	if ref == "" {
		return ""
	}
	data, err := readBounded(ref, maxRefSize)
	if err != nil {
		return ""
	}
	r, err := ParseRef(ref, data)
	if err != nil {
		return ""
	}
	return r.URL
}
