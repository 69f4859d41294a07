package diff_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/generator/diff"
	"github.com/midobake/midobake/generator/emit"
	"github.com/midobake/midobake/internal/synth"
	"github.com/midobake/midobake/roles"
)

// BenchmarkDiff: two clouds that differ in one host (an NC's template), from the files to the
// printed diff. Target: under 1.5 s at 10,000 hosts.
func BenchmarkDiff(b *testing.B) {
	tpl, _ := roles.NewTemplates("")
	for _, n := range []int{100, 1000, 10000} {
		oldData := synth.Cloud(n, 1)
		newData := bytes.Replace(oldData, []byte("roles: [nc]}"), []byte("template: agent-compute-medium, roles: [nc]}"), 1)
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var sides [2]diff.Side
				for j, data := range [][]byte{oldData, newData} {
					c, rep := cloud.Load("synth.yaml", data)
					if c == nil {
						b.Fatal(rep.Format(false))
					}
					tree, err := emit.Render(c, data, emit.Options{Templates: tpl})
					if err != nil {
						b.Fatal(err)
					}
					sides[j] = diff.Side{Name: "synth", Cloud: c, Tree: tree}
				}
				r := diff.Compare(sides[0], sides[1])
				if !r.Changed() {
					b.Fatal("no change found")
				}
				_ = r.Text(false)
			}
		})
	}
}
