package emit_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/generator/emit"
	"github.com/midobake/midobake/internal/synth"
	"github.com/midobake/midobake/roles"
)

func loadSynth(b *testing.B, n int) (*cloud.Cloud, []byte) {
	data := synth.Cloud(n, 1)
	c, rep := cloud.Load("synth.yaml", data)
	if c == nil {
		b.Fatal(rep.Format(false))
	}
	return c, data
}

// BenchmarkRenderMemory: everything rendered into memory, templates parsed once.
func BenchmarkRenderMemory(b *testing.B) {
	tpl, _ := roles.NewTemplates("")
	for _, n := range []int{100, 1000, 10000} {
		c, data := loadSynth(b, n)
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := emit.Render(c, data, emit.Options{Templates: tpl}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRenderDisk: load, validate, render and write atomically, as "midobake render"
// does. Target: under 1 s at 10,000 hosts.
func BenchmarkRenderDisk(b *testing.B) {
	tpl, _ := roles.NewTemplates("")
	for _, n := range []int{100, 1000, 10000} {
		data := synth.Cloud(n, 1)
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "out")
			for i := 0; i < b.N; i++ {
				c, rep := cloud.Load("synth.yaml", data)
				if c == nil {
					b.Fatal(rep.Format(false))
				}
				tree, err := emit.Render(c, data, emit.Options{Templates: tpl})
				if err != nil {
					b.Fatal(err)
				}
				if err := tree.Write(out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
