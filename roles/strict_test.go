package roles

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUsedVariables: the names that start a variable path, wherever pongo2 reads one, and
// nothing else (attributes, filters, strings, numbers, keywords, comments, bound names).
func TestUsedVariables(t *testing.T) {
	src := `# {{ cloud }} {# {{ not_a_comment_var }} #}
{% for server, port in zookeeper_servers reversed %}{{ server.host|default:fallback }}:{{ port }} {{ forloop.Counter }}{% endfor %}
{% if a and not b or c in d %}{{ "{{ x }}"|add:1.5 }}{% elif e.f %}{% endif %}
{% set g = h|join:", " %}{{ g }}
{% with i=j k=l %}{{ i }}{{ k }}{% endwith %}
{% filter upper %}{{ m }}{% endfilter %}
{% comment %}{{ n }}{% if o %}{% endcomment %}{{ p }}
`
	refs, bound := usedVariables(src)
	var got []string
	for _, r := range refs {
		if !bound[r.name] {
			got = append(got, r.name)
		}
	}
	want := []string{"cloud", "zookeeper_servers", "fallback", "a", "b", "c", "d", "e", "h", "j", "l", "m", "p"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("free variables (-want +got):\n%s", d)
	}
	if refs[0].line != 1 || refs[0].col != 6 {
		t.Errorf("cloud at %d:%d, want 1:6", refs[0].line, refs[0].col)
	}
	for _, r := range refs {
		if r.name == "p" && (r.line != 7 || r.col != 50) {
			t.Errorf("p at %d:%d, want 7:50", r.line, r.col)
		}
	}
}

// TestStrictTemplates: a misspelt variable in an override is an error naming the file, the
// line and column, the variable and the one it is close to; nothing renders.
func TestStrictTemplates(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "zoo.cfg.tmpl"), []byte("tickTime=2000\ndataDir={{ zookeeper_datadir }}\n"), 0o644)
	tpl, err := NewTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tpl.Render("zoo.cfg.tmpl", map[string]any{"cloud": "c", "zookeeper_data_dir": "/var/lib/zookeeper"})
	var te *TemplateError
	if !errors.As(err, &te) || out != nil {
		t.Fatalf("rendered %q, error %v", out, err)
	}
	if te.File != filepath.Join(dir, "zoo.cfg.tmpl") || te.Line != 2 || te.Col != 12 ||
		!strings.Contains(te.Err, `undefined variable "zookeeper_datadir" (did you mean "zookeeper_data_dir"?)`) {
		t.Errorf("%v", err)
	}
	// Far from every name: no guess.
	os.WriteFile(filepath.Join(dir, "zoo.cfg.tmpl"), []byte("{{ qqqqqqqq }}"), 0o644)
	tpl, _ = NewTemplates(dir)
	if _, err := tpl.Render("zoo.cfg.tmpl", map[string]any{"cloud": "c"}); err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("%v", err)
	}
}
