package testenv

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// CloudInitSchema runs the real "cloud-init schema -c" on a document and returns its output
// and whether cloud-init accepted it.
func CloudInitSchema(t testing.TB, doc []byte) (string, bool) {
	t.Helper()
	bin := Need(t, "cloud-init", "apt-get install cloud-init")
	f, err := os.CreateTemp(t.TempDir(), "user-data-*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(doc)
	f.Close()
	out, err := exec.Command(bin, "schema", "-c", f.Name()).CombinedOutput()
	return string(out), err == nil
}

// CloudConfigKeys returns the top-level keys cloud-init's own schema knows: the union of the
// properties of every module schema the top level refers to. cloud-init's schema check
// itself lets a misspelled top-level key (write_file:) through.
func CloudConfigKeys(t testing.TB) map[string]bool {
	t.Helper()
	// Ask the interpreter cloud-init itself runs with (its shebang): another python3 on PATH
	// (pyenv, a venv) does not have the cloudinit package.
	py := pythonOf(t, Need(t, "cloud-init", "apt-get install cloud-init"))
	out, err := exec.Command(py, "-c", "import cloudinit.config.schemas as s, os; print(os.path.dirname(s.__file__))").Output()
	if err != nil {
		Missing(t, "cloud-init's python package is not importable: "+err.Error())
	}
	data, err := os.ReadFile(strings.TrimSpace(string(out)) + "/schema-cloud-config-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Defs  map[string]struct{ Properties map[string]any } `json:"$defs"`
		AllOf []struct {
			Ref string `json:"$ref"`
		} `json:"allOf"`
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, ref := range schema.AllOf {
		for k := range schema.Defs[strings.TrimPrefix(ref.Ref, "#/$defs/")].Properties {
			keys[k] = true
		}
	}
	if len(keys) < 50 {
		t.Fatalf("only %d top-level keys found in cloud-init's schema: the schema layout changed", len(keys))
	}
	return keys
}

func pythonOf(t testing.TB, script string) string {
	data, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	if fields := strings.Fields(strings.TrimPrefix(first, "#!")); strings.HasPrefix(first, "#!") && len(fields) > 0 {
		return fields[0]
	}
	return "/usr/bin/python3"
}

// UnknownTopLevelKeys lists the top-level keys of a cloud-config that cloud-init does not know.
func UnknownTopLevelKeys(doc []byte, known map[string]bool) ([]string, error) {
	var m map[string]any
	if err := yaml.Unmarshal(doc, &m); err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	var unknown []string
	for k := range m {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	return unknown, nil
}
