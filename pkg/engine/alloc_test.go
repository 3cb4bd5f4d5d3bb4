package engine_test

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/internal/raceflag"
	"github.com/collegium/collegium/pkg/engine"
)

// TestRunAllocatesNothing: in steady state a CPU run allocates no host
// memory (buffers are pooled at Compile, kernels reuse their scratch).
func TestRunAllocatesNothing(t *testing.T) {
	dev := testDevice(t)
	if dev.Name() != "cpu" {
		t.Skip("host allocations are measured on the cpu device")
	}
	if raceflag.Enabled {
		t.Skip("the race detector makes sync.Pool drop items: allocation counts are meaningless")
	}
	for name, build := range networks {
		g := G.NewGraph()
		net, err := build(g, tensor.Float32, 5)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := engine.Compile(g, dev, append(G.Nodes{net.Cost}, net.Grads...)...)
		if err != nil {
			t.Fatal(err)
		}
		if err := plan.Run(); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(10, func() {
			if err := plan.Run(); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per run, want 0", name, allocs)
		}
		plan.Close()
	}
}
