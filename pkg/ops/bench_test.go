package ops_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
	"github.com/collegium/collegium/pkg/ops"
)

// BenchmarkCE times the CE layers at op level, as the executor runs them:
// the forward op and the two gradient ops that G.Grad builds (data and
// weight), launched on cpu.New(0) in float32. GFLOP/s counts 3 × 2·MACs.
func BenchmarkCE(b *testing.B) {
	for _, c := range []struct{ batch, members, n int }{{128, 16, 64}, {128, 64, 16}} {
		b.Run(fmt.Sprintf("blockdiag-B%d-m%d-n%d", c.batch, c.members, c.n), func(b *testing.B) {
			benchLayer(b, float64(c.batch*c.members*c.n*c.n), tensor.Shape{c.batch, c.members * c.n}, tensor.Shape{c.members, c.n, c.n}, ops.BlockDiagMatMul)
		})
	}
	b.Run("dense-B128-1024", func(b *testing.B) {
		benchLayer(b, 128*1024*1024, tensor.Shape{128, 1024}, tensor.Shape{1024, 1024}, ops.MatMul)
	})
	for _, c := range []struct{ n, c, h, groups int }{{32, 370, 32, 37}, {32, 192, 32, 3}, {32, 128, 32, 1}, {32, 120, 56, 12}, {32, 128, 56, 32}} {
		name := "gconv"
		if c.groups == 1 {
			name = "conv"
		}
		b.Run(fmt.Sprintf("%s-N%d-C%d-H%d-g%d", name, c.n, c.c, c.h, c.groups), func(b *testing.B) {
			cfg := ops.ConvConfig{Groups: c.groups, Pad: [2]int{1, 1}}
			macs := float64(c.n*c.c*c.h*c.h) * float64(c.c/c.groups*9)
			benchLayer(b, macs, tensor.Shape{c.n, c.c, c.h, c.h}, tensor.Shape{c.c, c.c / c.groups, 3, 3},
				func(x, w *G.Node) (*G.Node, error) { return ops.GroupedConv2d(x, w, cfg) })
		})
	}
}

// benchLayer builds y = layer(x, w) and its gradients in a graph, then
// launches y, dx and dw with random buffers for their inputs.
func benchLayer(b *testing.B, macs float64, xs, ws tensor.Shape, layer func(x, w *G.Node) (*G.Node, error)) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, len(xs), G.WithShape(xs...), G.WithName("x"))
	w := G.NewTensor(g, tensor.Float32, len(ws), G.WithShape(ws...), G.WithName("w"))
	y, err := layer(x, w)
	if err != nil {
		b.Fatal(err)
	}
	r := G.NewTensor(g, tensor.Float32, y.Dims(), G.WithShape(y.Shape()...), G.WithName("r"))
	cost, err := ops.WeightedSum(y, r)
	if err != nil {
		b.Fatal(err)
	}
	grads, err := G.Grad(cost, x, w)
	if err != nil {
		b.Fatal(err)
	}
	dev := cpu.New(0)
	defer dev.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	bufs := map[*G.Node]device.Buffer{}
	buffer := func(n *G.Node) device.Buffer {
		if buf, ok := bufs[n]; ok {
			return buf
		}
		buf, err := dev.Alloc(tensor.Float32, n.Shape().TotalSize())
		if err != nil {
			b.Fatal(err)
		}
		host := make([]float32, buf.Len())
		for i := range host {
			host[i] = float32(rng.NormFloat64())
		}
		if err := dev.Upload(buf, host); err != nil {
			b.Fatal(err)
		}
		bufs[n] = buf
		return buf
	}
	type launch struct {
		l   device.Launcher
		in  []device.Buffer
		out device.Buffer
	}
	var launches []launch
	for _, n := range []*G.Node{y, grads[0], grads[1]} {
		var in []device.Buffer
		for children := g.From(n.ID()); children.Next(); {
			in = append(in, buffer(children.Node().(*G.Node)))
		}
		launches = append(launches, launch{n.Op().(device.Launcher), in, buffer(n)})
	}
	b.ResetTimer()
	for range b.N {
		for _, l := range launches {
			if err := l.l.Launch(dev, l.in, l.out); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := dev.Sync(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(3*2*macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
