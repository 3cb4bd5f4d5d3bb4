package search

import (
	"math"
	"strings"
	"testing"
)

// report builds a solved primal or dual report on the synthetic problem
// with V_1 = n^−power (as if another seed had measured a steeper V_1) and
// SE set to se·V.
func report(t *testing.T, obj Objective, power, se float64) Report {
	t.Helper()
	p := synthetic()
	p.V = CE(func(n int) (float64, float64) {
		v := math.Pow(float64(n), -power)
		return v, se * v
	})
	res, err := Run(p, obj, 1, 32, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return Report{Result: res}
}

// TestAgreeRule: identical answers agree; different answers agree when
// each seed's fit rates the other's optimum within one SE of its own, and
// not when the errors are too small to hide the difference.
func TestAgreeRule(t *testing.T) {
	a := report(t, Primal, 1, 0.05)
	if ok, how := agree([2]Report{a, a}); !ok || how != "same optimum" {
		t.Errorf("identical: %v %q", ok, how)
	}
	// Swap seed B's optimum for the runner-up of the same fit: a true
	// neighbour, whose V is within one SE when the SE is 5% of V.
	b := a
	b.Result.Ranked = append([]Point(nil), a.Result.Ranked[1:]...)
	ok, how := agree([2]Report{a, b})
	if !ok || !strings.HasPrefix(how, "neighbours") {
		t.Errorf("runner-up with 5%% errors: %v %q", ok, how)
	}
	tight := report(t, Primal, 1, 1e-6)
	tb := tight
	tb.Result.Ranked = append([]Point(nil), tight.Result.Ranked[1:]...)
	if ok, how := agree([2]Report{tight, tb}); ok || !strings.HasPrefix(how, "disagree") {
		t.Errorf("runner-up with negligible errors: %v %q", ok, how)
	}
	d1, d2 := report(t, Dual, 1, 0.05), report(t, Dual, 1.5, 0.05)
	if d1.Result.Ranked[0] == d2.Result.Ranked[0] {
		t.Fatal("the two duals should differ")
	}
	if ok, how := agree([2]Report{d1, d2}); ok {
		t.Errorf("duals of V_1 ∝ 1/n and 1/n^1.5 with 5%% errors agree: %s", how)
	}
}
