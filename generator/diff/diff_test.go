package diff

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/generator/emit"
)

func side(t *testing.T, name string, data []byte) Side {
	t.Helper()
	c, rep := cloud.Load(name, data)
	if c == nil {
		t.Fatal(rep.Format(false))
	}
	tree, err := emit.Render(c, data, emit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return Side{Name: name, Cloud: c, Tree: tree}
}

// TestCompareSameIsEmpty: a cloud compared with itself has no change at all.
func TestCompareSameIsEmpty(t *testing.T) {
	a := side(t, "a.yaml", cloud.Example())
	if r := Compare(a, side(t, "b.yaml", cloud.Example())); r.Changed() {
		t.Errorf("no change expected, got %+v", r)
	}
}

// TestCompareAddNode: adding a node controller is one summary line for the host, the hosts
// whose files change, and exactly the files that carry it.
func TestCompareAddNode(t *testing.T) {
	data, err := os.ReadFile("../../fixtures/diff/add-nc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := Compare(side(t, "example.yaml", cloud.Example()), side(t, "add-nc.yaml", data))
	wantSummary := []string{"host node3: added (profile nc, template default, address 10.111.5.23, tunnelAddress 10.112.5.23, mac 52:54:00:00:05:23)"}
	if diff := cmp.Diff(wantSummary, texts(r.Summary)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"clc1", "node1", "node2", "node3", "ufs1"}, r.Hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	status := map[string]string{}
	for _, f := range r.Files {
		status[f.Path] = f.Status
		if f.Status == Changed && (f.Added == 0 && f.Removed == 0 || !strings.HasPrefix(f.Diff, "--- a/"+f.Path)) {
			t.Errorf("%s: changed without a diff: %+v", f.Path, f)
		}
	}
	if status["hosts/node3/meta-data"] != Added || status["profiles/nc/user-data.full.yaml"] != Changed || status["eucalyptus/network.json"] != "" {
		t.Errorf("file statuses: %v", status)
	}
}

// TestSummaryTemplatesOnlyForAgents: a size change changes the template of the hosts that
// run Midolman and of no other.
func TestSummaryTemplatesOnlyForAgents(t *testing.T) {
	large := strings.Replace(string(cloud.Example()), "size: standard", "size: large", 1)
	if large == string(cloud.Example()) {
		t.Fatal("the example has no size: standard line to change")
	}
	a := side(t, "a.yaml", cloud.Example())
	b := side(t, "b.yaml", []byte(large))
	got := Summarize(a.Cloud, b.Cloud, &cloud.Numbering{})
	for _, line := range texts(got) {
		if strings.Contains(line, "template") && !strings.Contains(line, "clc1") && !strings.Contains(line, "node") && !strings.Contains(line, "ufs1") {
			t.Errorf("template change on a host without Midolman: %s", line)
		}
	}
	if !cmp.Equal(len(got) > 1, true) || !strings.Contains(strings.Join(texts(got), "\n"), "agent-compute-large") {
		t.Errorf("want the size and the new templates in the summary, got:\n%s", strings.Join(texts(got), "\n"))
	}
}

// TestSiteDataShownOnce: a change of the site data is one file's diff, site/cloud.yaml; the
// user-data that carry it show only what else changed in them.
func TestSiteDataShownOnce(t *testing.T) {
	data, err := os.ReadFile("../../fixtures/diff/add-nc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := Compare(side(t, "example.yaml", cloud.Example()), side(t, "add-nc.yaml", data))
	carrying := 0 // diffs that show the new host's tunnel address, a fact of the site data only
	for _, f := range r.Files {
		if strings.Contains(f.Diff, "+    tunnelAddress: 10.112.5.23") {
			carrying++
			if f.Path != emit.SiteDataPath {
				t.Errorf("%s shows the site data:\n%s", f.Path, f.Diff)
			}
		}
		if strings.HasPrefix(f.Path, "profiles/") && f.Added+f.Removed > 4 {
			t.Errorf("%s: %d lines changed, want only its header:\n%s", f.Path, f.Added+f.Removed, f.Diff)
		}
	}
	if carrying != 1 {
		t.Errorf("the site data's change is shown %d times, want once", carrying)
	}
}

// TestSummaryNamesWhatMatters: signature checking turned off, a key changed, a password
// changed (marks that differ, neither value shown), the Cassandra cluster name and the tunnel
// zone's type (marked as changes a running cloud cannot take, with what to do).
func TestSummaryNamesWhatMatters(t *testing.T) {
	base := strings.Replace(string(cloud.Example()),
		`midobake: {baseurl: "http://repo.example/midobake/el7/", gpgkey: "http://repo.example/midobake/RPM-GPG-KEY-midobake"}`,
		`midobake: {baseurl: "http://repo.example/midobake/el7/", gpgkey: "http://repo.example/midobake/RPM-GPG-KEY-midobake"}
    midonet: {baseurl: "http://ops:hunter2-old@mirror.example/midonet/", gpgkey: "http://mirror.example/k1"}`, 1)
	changed := strings.NewReplacer(
		`http://ops:hunter2-old@mirror.example/midonet/", gpgkey: "http://mirror.example/k1"}`, `http://ops:hunter2-new@mirror.example/midonet/", gpgkey: "http://mirror.example/k2", gpgcheck: false}`,
		"cassandraClusterName: midonet", "cassandraClusterName: prod",
		"tunnelZone: {name: eucatz, type: gre}", "tunnelZone: {name: eucatz, type: vxlan}").Replace(base)
	if strings.Count(changed, "hunter2-new")+strings.Count(changed, "prod")+strings.Count(changed, "vxlan") != 3 {
		t.Fatal("the example changed: its lines to edit are not there")
	}
	r := Compare(side(t, "a.yaml", []byte(base)), side(t, "b.yaml", []byte(changed)))
	all := strings.Join(texts(r.Summary), "\n")
	for _, f := range r.Files {
		all += "\n" + f.Diff
	}
	if strings.Contains(all, "hunter2") {
		t.Fatalf("a password reached the review:\n%s", all)
	}
	summary := strings.Join(texts(r.Summary), "\n")
	for _, want := range []string{
		"repository midonet credentials: REDACTED#1 -> REDACTED#2",
		"repository midonet signature checking (gpgcheck): on -> OFF",
		"repository midonet gpgkey: http://mirror.example/k1 -> http://mirror.example/k2",
		"Cassandra cluster name: midonet -> prod [CANNOT BE APPLIED to a running cloud: Cassandra keeps its cluster name",
		"tunnel zone type: gre -> vxlan [CANNOT BE APPLIED to a running cloud: MidoNet cannot change a zone's type",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary does not say %q:\n%s", want, summary)
		}
	}
	// Structured, for scripts: each by its kind, which one, old and new.
	byKind := map[string]Change{}
	for _, c := range r.Summary {
		byKind[c.Kind] = c
	}
	for kind, want := range map[string]Change{
		"credentials":            {Subject: "midonet", Field: "credentials", Action: "changed", Old: "REDACTED#1", New: "REDACTED#2"},
		"signature-check":        {Subject: "midonet", Field: "signature checking (gpgcheck)", Action: "changed", Old: "on", New: "OFF"},
		"repository-key":         {Subject: "midonet", Field: "gpgkey", Action: "changed", Old: "http://mirror.example/k1", New: "http://mirror.example/k2"},
		"cassandra-cluster-name": {Action: "changed", Old: "midonet", New: "prod"},
		"tunnel-zone-type":       {Action: "changed", Old: "gre", New: "vxlan"},
	} {
		got := byKind[kind]
		if got.Subject != want.Subject || got.Field != want.Field || got.Action != want.Action || got.Old != want.Old || got.New != want.New {
			t.Errorf("%s: got %+v", kind, got)
		}
		if cannot := got.CannotApply != ""; cannot != (kind == "cassandra-cluster-name" || kind == "tunnel-zone-type") {
			t.Errorf("%s: cannotApply %q", kind, got.CannotApply)
		}
	}
	// In the files' diffs too, the two passwords read as two.
	if !strings.Contains(all, "-") || !strings.Contains(all, "REDACTED#1") || !strings.Contains(all, "REDACTED#2") {
		t.Errorf("the rendered files' diffs do not tell the passwords apart:\n%s", all)
	}
}

func texts(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Text)
	}
	return out
}

// TestMarkdownEscapes: what the description says cannot break the comment's table, open a
// tag or a link, or close a fence early.
func TestMarkdownEscapes(t *testing.T) {
	r := Result{Old: "a.yaml", New: "b|<img src=x>.yaml", Summary: []Change{
		{Kind: "host", Subject: "evil|</td><script>", Field: "mac", Action: "changed", Old: "[x](javascript:alert(1))", New: "`*_~\n| a | b |", Text: "t"},
	}, Files: []FileChange{{Path: "hosts/<b>/user-data", Status: Changed, Diff: "+ ```\n+ </details>\n"}}}
	md := r.Markdown(true)
	for _, bad := range []string{"<script", "<img", "</td>", "x](javascript", "<b>"} {
		if strings.Contains(md, bad) {
			t.Errorf("%q reached the Markdown unescaped:\n%s", bad, md)
		}
	}
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "| host") && strings.Count(strings.ReplaceAll(l, `\|`, ""), "|") != 4 {
			t.Errorf("a row with other than 3 cells: %s", l)
		}
	}
	if !strings.Contains(md, "\n````diff\n") || !strings.Contains(md, "\n````\n") {
		t.Errorf("the fence is not longer than the backticks inside it:\n%s", md)
	}
}
