package datasource

import "testing"

func TestDatasource(t *testing.T) {
	d := &Datasource{}
	if err := d.Configure(map[string]interface{}{"cloud_file": "../../fixtures/valid/ha-large.yaml"}); err != nil {
		t.Fatal(err)
	}
	v, err := d.Execute()
	if err != nil {
		t.Fatal(err)
	}
	m := v.AsValueMap()
	if got := m["cloud_name"].AsString(); got != "prod-east" {
		t.Errorf("cloud_name %q", got)
	}
	if got := m["repos"].AsValueMap()["midonet"].AsString(); got != "http://mem-user:REDACTED@mirror.prod.example/mem-5.2/stable/el7/" {
		t.Errorf("repos.midonet %q: credentials must be redacted", got)
	}
	if got := m["packages"].AsValueMap()["cassandra+zookeeper"].AsString(); got != "chrony dsc22 java-1.8.0-openjdk-headless nmap-ncat zookeeper" {
		t.Errorf("packages %q", got)
	}
	if n := len(m["profiles"].AsValueSlice()); n != 4 {
		t.Errorf("%d profiles", n)
	}
}
