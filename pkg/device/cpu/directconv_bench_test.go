//go:build amd64

package cpu

import (
	"testing"

	"github.com/collegium/collegium/pkg/device"
)

// BenchmarkDirectConv times each pass of the small-group convolutions of
// BenchmarkCE on one worker, per kernel set and on the im2col path, so the
// paths compare on the same load; GFLOP/s counts 2·MACs.
func BenchmarkDirectConv(b *testing.B) {
	paths := map[string][2]bool{"im2col": {}}
	for name, set := range kernelSets() {
		paths[name] = set
	}
	for _, c := range []struct {
		name                string
		n, ch, size, groups int
	}{
		{"N32-C370-H32-g37", 32, 370, 32, 37},
		{"N32-C120-H56-g12", 32, 120, 56, 12},
		{"N32-C128-H56-g32", 32, 128, 56, 32},
	} {
		p := device.ConvParams{N: c.n, C: c.ch, H: c.size, W: c.size, O: c.ch, KH: 3, KW: 3, Groups: c.groups,
			StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
		out, wl := p.N*p.O*p.OutH()*p.OutW(), p.O*p.C/p.Groups*9
		x, w, y := make([]float32, p.N*p.C*p.H*p.W), make([]float32, wl), make([]float32, out)
		bx, bw, by := wrap(b, x), wrap(b, w), wrap(b, y)
		for _, pass := range []struct {
			name string
			f    func(d *Device) error
		}{
			{"forward", func(d *Device) error { return d.Conv2dForward(p, bx, bw, by) }},
			{"data", func(d *Device) error { return d.Conv2dBackwardData(p, by, bw, bx) }},
			{"filter", func(d *Device) error { return d.Conv2dBackwardFilter(p, bx, by, bw) }},
		} {
			for name, set := range paths {
				b.Run(c.name+"/"+pass.name+"/"+name, func(b *testing.B) {
					dev := New(1)
					defer dev.Close()
					withKernels(set, func() {
						for range b.N {
							if err := pass.f(dev); err != nil {
								b.Fatal(err)
							}
						}
					})
					b.ReportMetric(2*float64(out*p.C/p.Groups*9)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
