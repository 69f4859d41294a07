package firstboot

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSetINI(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"replace":        {"# c\n[zookeeper]\nzookeeper_hosts = 127.0.0.1:2181\nroot_key = /midonet\n", "# c\n[zookeeper]\nzookeeper_hosts = a:2181\nroot_key = /midonet\n"},
		"add to section": {"[zookeeper]\nroot_key = /m\n[other]\nx = 1\n", "[zookeeper]\nroot_key = /m\nzookeeper_hosts = a:2181\n[other]\nx = 1\n"},
		"add section":    {"[other]\nx = 1\n", "[other]\nx = 1\n[zookeeper]\nzookeeper_hosts = a:2181\n"},
		"empty":          {"", "[zookeeper]\nzookeeper_hosts = a:2181\n"},
		"other section":  {"[a]\nzookeeper_hosts = keep\n[zookeeper]\n", "[a]\nzookeeper_hosts = keep\n[zookeeper]\nzookeeper_hosts = a:2181\n"},
	} {
		if got := setINI(tc.in, "zookeeper", "zookeeper_hosts", "a:2181"); got != tc.want {
			t.Errorf("%s:\n%s", name, cmp.Diff(tc.want, got))
		}
	}
}

func TestSetProperties(t *testing.T) {
	in := "# managed\ntickTime=2000\ndataDir=/tmp/zk\nserver.1=old:2888:3888\nserver.7=gone:2888:3888\nmaxClientCnxns=500\n"
	template := "# rendered\ntickTime=3000\ndataDir=/var/lib/zookeeper/data\nclientPort=2181\nautopurge.snapRetainCount=3\nautopurge.purgeInterval=1\nserver.1=10.0.0.1:2888:3888\nserver.2=10.0.0.2:2888:3888\n"
	owned := properties(template, zooOwned)
	got := setProperties(in, owned, zooOwnedPrefix)
	want := "# managed\ntickTime=2000\ndataDir=/var/lib/zookeeper/data\nserver.1=10.0.0.1:2888:3888\nmaxClientCnxns=500\nautopurge.purgeInterval=1\nautopurge.snapRetainCount=3\nclientPort=2181\nserver.2=10.0.0.2:2888:3888\n"
	if got != want {
		t.Error(cmp.Diff(want, got))
	}
	if again := setProperties(got, owned, zooOwnedPrefix); again != got {
		t.Errorf("not idempotent:\n%s", cmp.Diff(got, again))
	}
}
