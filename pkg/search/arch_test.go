package search

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
	"github.com/collegium/collegium/pkg/models"
	"github.com/collegium/collegium/pkg/ntk"
)

// oneThreadCPU is the device each NTK worker of a test compiles on, as the
// CLI's.
func oneThreadCPU() device.Device { return cpu.New(1) }

func TestArchitectureParamsAreExact(t *testing.T) {
	a, err := NewArchitecture("resnext50", "imagenet", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// torchvision's ResNeXt-50 32×4d and ResNet-50 (= 1×64d).
	for _, c := range []struct{ m, n, want int }{{32, 4, 25028904}, {1, 64, 25557032}} {
		got, err := a.Params(c.m, c.n)
		if err != nil || got != c.want {
			t.Errorf("resnext50 %dx%dd: %d params (%v), want %d", c.m, c.n, got, err, c.want)
		}
	}
	for _, bad := range [][2]string{{"vgg", "cifar10"}, {"mlp", "svhn"}} {
		if _, err := NewArchitecture(bad[0], bad[1], 0, 0); !errors.Is(err, ErrUnknown) {
			t.Errorf("%v: err %v", bad, err)
		}
	}
}

// TestDoUsesCache runs a tiny MLP search twice on one cache: the second is
// read from disk and identical.
func TestDoUsesCache(t *testing.T) {
	dir := t.TempDir()
	req := Request{
		Family: "mlp", Dataset: "mnist", Baseline: "1x64d", Objective: Primal, Depth: 1, MaxM: 8,
		Scan: ntk.ScanConfig{Sampling: ntk.FixedSampling(3), Seed: 1, Inputs: 2, InputSeed: 1, Device: oneThreadCPU, Cache: ntk.Cache{Dir: dir}},
	}
	first, err := Do(req)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	second, err := Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cached search took %v", d)
	}
	if first.Result.Ranked[0] != second.Result.Ranked[0] || first.V1.Fits[0].Params[0] != second.V1.Fits[0].Params[0] {
		t.Errorf("cached search differs: %+v vs %+v", first.Result.Ranked[0], second.Result.Ranked[0])
	}
	base := models.Spec{Family: models.MLP, Members: 1, Width: 64, Depth: 1, Classes: 10, Input: models.Input{Channels: 1, Height: 28, Width: 28}}
	if p, _ := models.ParamCount(base); first.Result.Baseline.Params != p {
		t.Errorf("baseline params %d, want %d", first.Result.Baseline.Params, p)
	}
	out := filepath.Join(dir, "out")
	if err := first.WriteFiles(out, 5); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"search.txt", "search.csv", "search.jsonl", "v1.md", "frontier.svg", "frontier.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	v, err := first.V1.WithLaw(ntk.InverseWidth.Name)
	if err != nil || v.Fits[0].Law != ntk.InverseWidth.Name || len(v.Fits) != len(first.V1.Fits) {
		t.Errorf("WithLaw(a/n): first fit %+v of %d, %v", v.Fits[0], len(v.Fits), err)
	}
	if _, err := first.V1.WithLaw("n^2"); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown law: err %v", err)
	}
	req.Law = "hanin-nica"
	forced, err := Do(req)
	if err != nil || forced.V1.Fits[0].ID() != "hanin-nica" {
		t.Errorf("request with law %s: %v", req.Law, err)
	}
	req.Law = ""
	req.Baseline = "4x1d"
	if _, err := Do(req); err == nil {
		t.Error("baseline width below the measured widths accepted")
	}
}

// tinyRequest is a small MLP search measured quickly (random inputs keep
// it independent of MNIST being on disk).
func tinyRequest(t *testing.T) Request {
	return Request{
		Family: "mlp", Dataset: "mnist", Baseline: "1x64d", Objective: Primal, Depth: 2, MaxM: 16,
		Scan: ntk.ScanConfig{Sampling: ntk.FixedSampling(24), Seed: 1, Inputs: 2, InputSeed: 1, Precision: ntk.Float32, Device: oneThreadCPU, Cache: ntk.Cache{Dir: t.TempDir()}},
	}
}

// TestBudgetTolerance: with F > 0 the primal may use up to (1 + F)·P0 and
// no more, finds a V at least as low as with F = 0, and the dual ignores F.
func TestBudgetTolerance(t *testing.T) {
	req := tinyRequest(t)
	strict, err := Do(req)
	if err != nil {
		t.Fatal(err)
	}
	req.BudgetTolerance = 0.05
	loose, err := Do(req)
	if err != nil {
		t.Fatal(err)
	}
	p0 := strict.Result.Baseline.Params
	if strict.Result.Budget != p0 || loose.Result.Budget != int(float64(p0)*1.05) {
		t.Errorf("budgets %d and %d, want %d and ⌊1.05·%d⌋", strict.Result.Budget, loose.Result.Budget, p0, p0)
	}
	over := false
	for _, pt := range loose.Result.Ranked {
		if pt.Params > loose.Result.Budget {
			t.Fatalf("%+v exceeds the tolerated budget %d", pt, loose.Result.Budget)
		}
		over = over || pt.Params > p0
	}
	if !over || loose.Result.Ranked[0].V > strict.Result.Ranked[0].V {
		t.Errorf("tolerance admitted no larger model (%v) or found a worse V: %g vs %g", over, loose.Result.Ranked[0].V, strict.Result.Ranked[0].V)
	}
	req.Objective = Dual
	dual, err := Do(req)
	if err != nil || dual.Result.Budget != 0 {
		t.Errorf("dual with a budget tolerance: budget %d, %v", dual.Result.Budget, err)
	}
}

// TestRowsCarryErrorsAndLaw: every row says which law ranked it and the
// standard error of its V, which is V_1's propagated error divided by m.
func TestRowsCarryErrorsAndLaw(t *testing.T) {
	rep, err := Do(tinyRequest(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rows(rep.Result, 5) {
		_, se := rep.V1.At(r.N)
		if r.Law != rep.V1.Fits[0].Law || r.VModel != "V_1(n)/m" || !(r.VSE > 0) || math.Abs(r.VSE-se/float64(r.M)) > 1e-12*se {
			t.Errorf("row %+v: law/model/SE wrong (want law %s, SE %g)", r, rep.V1.Fits[0].Law, se/float64(r.M))
		}
	}
	if rep.V1.Reason == "" || !strings.Contains(rep.V1.Reason, rep.V1.Fits[0].Law) {
		t.Errorf("reason %q does not name the law %s", rep.V1.Reason, rep.V1.Fits[0].Law)
	}
	outs, err := Laws(tinyRequest(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != len(ntk.WidthLaws(2)) || !outs[0].Chosen || outs[0].Law != rep.V1.Fits[0].Law || outs[0].Best.Name != Rows(rep.Result, 1)[0].Name {
		t.Errorf("law table %+v does not start with the chosen law's optimum %s", outs[0], Rows(rep.Result, 1)[0].Name)
	}
	for i := 1; i < len(outs); i++ {
		if outs[i].Chosen || outs[i].CV < outs[i-1].CV {
			t.Errorf("law table out of order at %d: %+v", i, outs[i])
		}
	}
	var b strings.Builder
	WriteLaws(&b, outs)
	if want := "Members law under the chosen V_1 law: " + rep.MembersReason + "."; outs[0].Members != rep.MembersReason || !strings.Contains(b.String(), want) {
		t.Errorf("law table does not state the members law %q:\n%s", rep.MembersReason, b.String())
	}
}

// TestMembersGridOfAnMLP: the MLP-CE's members share no parameter, so
// V(m, n) follows V(1, n)/m within its errors.
func TestMembersGridOfAnMLP(t *testing.T) {
	a, err := NewArchitecture("mlp", "mnist", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ntk.ScanConfig{Sampling: ntk.FixedSampling(250), Seed: 2, Inputs: 2, InputSeed: 1, Device: oneThreadCPU}
	g, err := a.MeasureMembers([]int{2, 8}, []int{8}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Cells) != 3 || g.Cells[0].M != 1 || g.Cells[0].Ratio != 1 || len(g.Slopes) != 1 {
		t.Fatalf("grid %+v", g)
	}
	for _, c := range g.Cells[1:] {
		if math.Abs(c.Ratio-1) > 3*c.RatioSE {
			t.Errorf("m = %d: V(m, n)/(V(1, n)/m) = %g ± %g, want 1", c.M, c.Ratio, c.RatioSE)
		}
	}
	if s := g.Slopes[0].Slope; math.Abs(s.Slope+1) > 3*s.SE {
		t.Errorf("exponent %g ± %g, want −1", s.Slope, s.SE)
	}
}

// TestUnreliableWidthsLeftOut: widths that stop at the cap above the
// target SE are neither fitted nor searched; with too few left the search
// refuses, naming the remedy.
func TestUnreliableWidthsLeftOut(t *testing.T) {
	req := tinyRequest(t)
	req.Scan.Sampling = ntk.Sampling{Min: 4, Max: 8, Block: 4, RelSE: 1e-9}
	if _, err := Do(req); err == nil || !strings.Contains(err.Error(), "--max-samples") {
		t.Errorf("every width unreliable: err %v", err)
	}
	a, err := NewArchitecture("mlp", "mnist", 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	v := V1{MinWidth: 8, MaxWidth: 64, Fits: []ntk.Fit{{}}}
	p, err := a.Problem(v, 4, 64, nil)
	if err != nil || p.Ns[0] != 8 {
		t.Errorf("grid starts at n = %d (%v), want the smallest fitted width 8", p.Ns[0], err)
	}
}

// TestMembersVerdictLine: the grid's verdict names the widths where 1/m
// holds, and says "at no width" when it holds at none.
func TestMembersVerdictLine(t *testing.T) {
	grid := func(exponent float64) MembersGrid {
		return MembersGrid{
			Cells:  []MembersCell{{M: 1, N: 4, Ratio: 1}, {M: 2, N: 4, Ratio: 1, RatioSE: 0.1}},
			Slopes: []MembersSlope{{N: 4, Slope: ntk.Slope{Slope: exponent, SE: 0.05}}},
		}
	}
	for _, c := range []struct {
		exponent float64
		want     string
	}{
		{-1.02, "holds within 2 SE at n ∈ {4}; fails at no width."},
		{-0.5, "holds within 2 SE at no width; fails at n = 4 (exponent -0.50 ± 0.05)."},
	} {
		var b strings.Builder
		grid(c.exponent).Write(&b)
		if !strings.Contains(b.String(), c.want) {
			t.Errorf("exponent %g: verdict\n%s\nwant %q", c.exponent, b.String(), c.want)
		}
	}
}

// TestSettingWithoutFit: a setting under which no width reaches the target
// SE is reported with every width it measured, each marked †, and no
// answer; the search itself refuses it.
func TestSettingWithoutFit(t *testing.T) {
	req := tinyRequest(t)
	req.Scan.Sampling = ntk.Sampling{Min: 4, Max: 8, Block: 4, RelSE: 1e-9}
	outs, err := CompareSettings(req, []Setting{{Name: "hopeless", Inputs: 2}})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := req.Architecture()
	o := outs[0]
	if len(outs) != 1 || !strings.Contains(o.Failed, "--max-samples") || len(o.Points) != len(a.Widths) || len(o.Unreliable) != len(a.Widths) {
		t.Fatalf("outcome %+v: want every width measured and unreliable, and why", o)
	}
	var b strings.Builder
	WriteSettings(&b, outs, []int{a.Widths[0]})
	if !strings.Contains(b.String(), "| hopeless | ") || !strings.Contains(b.String(), "† | none: fit V_1: only 0 widths") {
		t.Errorf("table:\n%s", b.String())
	}
	if _, err := Do(req); !errors.As(err, new(*UnfittableError)) {
		t.Errorf("search: %v, want an UnfittableError", err)
	}
}
