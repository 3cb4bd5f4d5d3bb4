package bench

import (
	"fmt"
	"strings"
)

// Pass is what one timed call computes.
type Pass string

// The passes: the three products of a layer and their sum, one training step
// of the layer.
const (
	Forward        Pass = "fwd"        // y = x·W (conv: y = conv(x, w))
	BackwardData   Pass = "bwd_data"   // dx = dy·Wᵀ
	BackwardWeight Pass = "bwd_weight" // dW = xᵀ·dy
	FwdBwd         Pass = "fwd+bwd"    // the three in a row
)

// AllPasses lists every pass in the order Run times them.
var AllPasses = []Pass{Forward, BackwardData, BackwardWeight, FwdBwd}

// products is the number of layer products (each 2·MACs FLOPs) in p.
func (p Pass) products() int {
	if p == FwdBwd {
		return 3
	}
	return 1
}

// outputs lists the products whose outputs p writes, so that Run verifies
// exactly those.
func (p Pass) outputs() []Pass {
	if p == FwdBwd {
		return []Pass{Forward, BackwardData, BackwardWeight}
	}
	return []Pass{p}
}

// ParsePasses parses a comma-separated list of passes; "all" is every pass.
func ParsePasses(s string) ([]Pass, error) {
	if strings.TrimSpace(s) == "all" {
		return AllPasses, nil
	}
	var out []Pass
	seen := map[Pass]bool{}
	for _, f := range strings.Split(s, ",") {
		p := Pass(strings.TrimSpace(f))
		switch p {
		case Forward, BackwardData, BackwardWeight, FwdBwd:
		default:
			return nil, fmt.Errorf("unknown pass %q (want fwd, bwd_data, bwd_weight, fwd+bwd or all)", f)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}
