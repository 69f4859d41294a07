package roles

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOverridesAreConfined: an override reads nothing outside itself (ssi would read any
// file, /etc/shadow included), cannot recurse (a template that includes itself, a macro that
// calls itself: a Go stack overflow kills the process), and cannot pad its way to gigabytes;
// each is an error naming the override's file and line, before anything renders.
func TestOverridesAreConfined(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("s3cr3t-of-the-build-machine"), 0o600)
	for name, body := range map[string]string{
		"ssi":     "x\n{% ssi \"" + secret + "\" %}\n",
		"ssi-rel": "x\n{% ssi \"../../../../../../../.." + secret + "\" %}\n",
		"include": "x\n{% include \"zoo.cfg.tmpl\" %}\n",
		"extends": "{% extends \"zoo.cfg.tmpl\" %}\n",
		"import":  "{% import \"zoo.cfg.tmpl\" m %}\n",
		"macro":   "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}\n",
		"now":     "built {% now \"2006\" %}\n",
		"ljust":   "{{ cloud|ljust:\"2000000000\" }}\n",
		"random":  "{{ zookeeper_servers|random }}\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "zoo.cfg.tmpl"), []byte(body), 0o644)
			tpl, err := NewTemplates(dir)
			if err != nil {
				t.Fatal(err)
			}
			out, err := tpl.Render("zoo.cfg.tmpl", map[string]any{"cloud": "c", "zookeeper_servers": []string{"a", "b"}})
			var te *TemplateError
			if err == nil || !errors.As(err, &te) || te.File != filepath.Join(dir, "zoo.cfg.tmpl") {
				t.Fatalf("rendered %q, error %v", out, err)
			}
			if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(string(out), "s3cr3t") {
				t.Errorf("the secret was read: %v", err)
			}
		})
	}
}

// TestRenderedSizeIsBounded: a loop over the cloud's own data can still run away: past
// MaxRendered the render is an error naming the template.
func TestRenderedSizeIsBounded(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "zoo.cfg.tmpl"), []byte("{% for a in xs %}{% for b in xs %}{{ a }}{{ b }}\n{% endfor %}{% endfor %}"), 0o644)
	tpl, err := NewTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	xs := make([]string, 460)
	for i := range xs {
		xs[i] = "0123456789"
	}
	_, err = tpl.Render("zoo.cfg.tmpl", map[string]any{"xs": xs})
	if err == nil || !strings.Contains(err.Error(), "zoo.cfg.tmpl: template error: renders") || !strings.Contains(err.Error(), "a runaway loop?") {
		t.Errorf("%v", err)
	}
}
