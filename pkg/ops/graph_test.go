package ops_test

import (
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/ops/opstest"
)

// nets builds each test network in a fresh graph.
var nets = map[string]func(g *G.ExprGraph, dt tensor.Dtype) (*opstest.Net, error){
	"mlp": func(g *G.ExprGraph, dt tensor.Dtype) (*opstest.Net, error) {
		return opstest.MLPCE(g, dt, 5, 3, 4, 6, 1)
	},
	"conv": func(g *G.ExprGraph, dt tensor.Dtype) (*opstest.Net, error) {
		return opstest.ConvCE(g, dt, 3, 2, 3, 5, 4, 2)
	},
}

// TestGradGraphHoldsOnlyCollegiumOps walks the differentiated networks: every
// op must be a Collegium op (a device.Launcher), gorgonia's "+" (its String
// is "+ <retSame>") or a constant,
// which is all the executor supports.
func TestGradGraphHoldsOnlyCollegiumOps(t *testing.T) {
	for name, build := range nets {
		t.Run(name, func(t *testing.T) {
			g := G.NewGraph()
			if _, err := build(g, tensor.Float64); err != nil {
				t.Fatal(err)
			}
			sorted, err := G.Sort(g)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, n := range sorted {
				switch op := n.Op(); {
				case op == nil:
					seen["leaf"]++
				case isLauncher(op):
					seen[strings.SplitN(op.String(), "{", 2)[0]]++
				case strings.HasPrefix(op.String(), "+ ") || strings.HasPrefix(op.String(), "const"):
					seen[strings.Fields(op.String())[0]]++
				default:
					t.Errorf("node %v has op %v (%T), not a Collegium op", n, op, op)
				}
			}
			t.Logf("ops: %v", seen)
			if name == "conv" && seen["+"] == 0 {
				t.Errorf("the residual network's gradient holds no accumulating +: %v", seen)
			}
		})
	}
}

func isLauncher(op G.Op) bool {
	_, ok := op.(device.Launcher)
	return ok
}

// TestFloat32MatchesFloat64 runs both networks in both precisions from the
// same values.
func TestFloat32MatchesFloat64(t *testing.T) {
	for name, build := range nets {
		t.Run(name, func(t *testing.T) {
			var cost [2]float64
			var grads [2][][]float64
			for i, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
				g := G.NewGraph()
				net, err := build(g, dt)
				if err != nil {
					t.Fatal(err)
				}
				m := G.NewTapeMachine(g)
				if err := m.RunAll(); err != nil {
					t.Fatal(err)
				}
				m.Close()
				cost[i] = opstest.Float64s(net.Cost.Value())[0]
				for _, gr := range net.Grads {
					grads[i] = append(grads[i], opstest.Float64s(gr.Value()))
				}
			}
			if math.Abs(cost[0]-cost[1]) > 1e-5*math.Abs(cost[1]) || math.IsNaN(cost[1]) {
				t.Errorf("cost float32 %v, float64 %v", cost[0], cost[1])
			}
			for p := range grads[1] {
				for j := range grads[1][p] {
					if d := math.Abs(grads[0][p][j] - grads[1][p][j]); d > 1e-4*(1+math.Abs(grads[1][p][j])) {
						t.Errorf("param %d grad[%d]: float32 %v, float64 %v", p, j, grads[0][p][j], grads[1][p][j])
						break
					}
				}
			}
		})
	}
}
