package cloud_test

import (
	"fmt"
	"testing"

	"github.com/midobake/midobake/cloud"
	"github.com/midobake/midobake/internal/synth"
)

// BenchmarkLoadValidate: decode, validate and normalize clouds of 100 to 10,000 hosts.
// Target: under 0.25 s at 10,000 hosts on 2 cores, linear in hosts.
func BenchmarkLoadValidate(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		data := synth.Cloud(n, 1)
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				if c, rep := cloud.Load("synth.yaml", data); c == nil {
					b.Fatal(rep.Format(false))
				}
			}
		})
	}
}
