package search

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/internal/logs"
	"github.com/collegium/collegium/pkg/models"
	"github.com/collegium/collegium/pkg/ntk"
)

// Datasets are the datasets a search knows; their example shapes and
// classes are datasets.GeometryOf's.
var Datasets = []string{"mnist", "cifar10", "cifar100", "imagenet"}

// Architecture is a family on a dataset: Count is the spec whose exact
// parameter count P(m, n) the search uses; Measure is the spec whose whole
// network (m = 1) is Monte-Carlo measured for V_1(n): ResNeXt-29 at
// CIFAR's 3×32×32, the size it is trained at, and ResNeXt-50 at 3×64×64,
// the smallest power of two whose last stage is 2×2 (224×224 would cost
// twelve times as much; at 32×32 the last stage is 1×1 and 8/9 of its 3×3
// weights get no gradient). Widths are the measured widths, dense where
// the optima lie (small n). HNDepth is Σ_i n/n_i over the layers whose
// width n_i scales with n: the L of Hanin & Nica's exp(β·L/n) − 1.
// MembersLaw is how V(m, n) follows from V_1(n) by default (MembersCE for
// the MLP, whose members share no parameter; MembersMeasured for the
// ResNeXts), and GridMembers × GridWidths the grid on which V(m, n) is
// measured for MembersMeasured.
type Architecture struct {
	Count, Measure          models.Spec
	Widths                  []int
	HNDepth                 float64
	MembersLaw              string
	GridMembers, GridWidths []int
}

// ErrUnknown is wrapped by errors about an unknown family or dataset.
var ErrUnknown = errors.New("unknown")

// NewArchitecture returns the architecture of family on dataset; depth sets
// the MLP's hidden layers (0: 2) and is fixed for the ResNeXts; size > 0
// replaces the measured spatial size of a conv net (size × size).
func NewArchitecture(family, dataset string, depth, size int) (Architecture, error) {
	if !slices.Contains(Datasets, dataset) {
		return Architecture{}, fmt.Errorf("dataset %q: %w dataset (want mnist, cifar10, cifar100 or imagenet)", dataset, ErrUnknown)
	}
	geo, err := datasets.GeometryOf(dataset)
	if err != nil {
		return Architecture{}, fmt.Errorf("search: %w", err)
	}
	input := models.Input{Channels: geo.Channels, Height: geo.Height, Width: geo.Width}
	count := models.Spec{Family: models.Family(family), Members: 1, Width: 1, Classes: geo.Classes, Input: input, Aggregation: models.AggregateMean}
	a := Architecture{Count: count, Measure: count, MembersLaw: MembersMeasured, GridMembers: []int{1, 2, 4, 8, 16, 32}}
	switch count.Family {
	case models.MLP:
		count.Depth = 2
		if depth > 0 {
			count.Depth = depth
		}
		a.Count, a.Measure = count, count
		a.Widths = []int{2, 4, 8, 16, 32, 64, 128, 256, 512}
		a.HNDepth = float64(count.Depth)
		a.MembersLaw, a.GridWidths = MembersCE, []int{8, 32}
		if size > 0 {
			return Architecture{}, fmt.Errorf("mlp: --measure-size is for conv nets (the mlp sees its dataset's input)")
		}
	case models.ResNeXt29:
		a.Count.Depth, a.Measure.Depth = 29, 29
		a.Measure.Input = models.Input{Channels: input.Channels, Height: 32, Width: 32}
		a.Widths = []int{1, 2, 3, 4, 6, 8, 12, 16, 32, 64}
		// 3 blocks per stage, 2 layers of width n·{1, 2, 4} per block.
		a.HNDepth = 6 + 6.0/2 + 6.0/4
		a.GridWidths = []int{2, 4, 8, 16}
	case models.ResNeXt50:
		a.Measure.Input = models.Input{Channels: input.Channels, Height: 64, Width: 64}
		a.Widths = []int{1, 2, 3, 4, 6, 8, 12, 16, 32, 64}
		// 3, 4, 6, 3 blocks, 2 layers of width n·{1, 2, 4, 8} per block.
		a.HNDepth = 6 + 8.0/2 + 12.0/4 + 6.0/8
		a.GridWidths = []int{1, 2, 4, 8}
	default:
		return Architecture{}, fmt.Errorf("family %q: %w family (want mlp, resnext29 or resnext50)", family, ErrUnknown)
	}
	if size > 0 {
		a.Measure.Input.Height, a.Measure.Input.Width = size, size
	}
	if err := a.Count.Validate(); err != nil {
		return Architecture{}, fmt.Errorf("%s on %s: %w", family, dataset, err)
	}
	if err := a.Measure.Validate(); err != nil {
		return Architecture{}, fmt.Errorf("%s on %s measured at %d×%d: %w", family, dataset, size, size, err)
	}
	return a, nil
}

// Params is the exact parameter count of m members of width n.
func (a Architecture) Params(m, n int) (int, error) {
	s := a.Count
	s.Members, s.Width = m, n
	return models.ParamCount(s)
}

// V1 is a fitted single-member variance law and the measurements behind it.
type V1 struct {
	Points []ntk.ScanPoint
	// Fits are every width law, best held-out prediction first; Fits[0] is
	// used.
	Fits []ntk.Fit
	// Reason says why Fits[0] is used.
	Reason string
	// MinWidth and MaxWidth are the smallest and the largest width used:
	// the grid starts at MinWidth, and V1 beyond MaxWidth is extrapolated.
	MinWidth, MaxWidth int
	// Unreliable are the widths whose measurement reached its sampling
	// cap with a relative SE above the target (a tail that the cap did not
	// tame): they are reported but neither fitted nor searched.
	Unreliable []ntk.ScanPoint
}

// All is every measured width, those left out included, by width.
func (v V1) All() []ntk.ScanPoint {
	all := append(append([]ntk.ScanPoint(nil), v.Unreliable...), v.Points...)
	sort.SliceStable(all, func(a, b int) bool { return all[a].N < all[b].N })
	return all
}

// At evaluates the chosen law at width n, with its standard error
// propagated from the fitted parameters.
func (v V1) At(n int) (float64, float64) {
	return v.Fits[0].Eval(float64(n)), v.Fits[0].EvalSE(float64(n))
}

// WithLaw returns v with the fit of the named law (ID or formula) first, so
// that At uses it instead of the held-out choice: a search can then be
// repeated under each plausible law to see how much its optimum depends on
// the choice.
func (v V1) WithLaw(name string) (V1, error) {
	if name == "average" || name == ntk.AverageName {
		avg := ntk.ModelAverage(v.Fits)
		v.Fits = append([]ntk.Fit{avg}, v.Fits...)
		v.Reason = "chosen with --law average: the laws weighted by their held-out prediction (" + weights(avg) + ")"
		return v, nil
	}
	var names []string
	for i, f := range v.Fits {
		if f.Law == name || f.ID() == name {
			fits := append([]ntk.Fit{f}, v.Fits[:i]...)
			v.Fits = append(fits, v.Fits[i+1:]...)
			v.Reason = "chosen with --law " + name
			return v, nil
		}
		names = append(names, f.ID())
	}
	return V1{}, fmt.Errorf("law %q: %w law (want one of %q)", name, ErrUnknown, names)
}

// weights lists a model average's weights.
func weights(avg ntk.Fit) string {
	var parts []string
	for i, name := range avg.Names {
		if avg.Params[i] >= 0.005 {
			parts = append(parts, fmt.Sprintf("%s %.2f", name, avg.Params[i]))
		}
	}
	return strings.Join(parts, ", ")
}

// UnfittableError is MeasureV1's answer when fewer than three widths
// reached the target relative SE: V holds every width measured, none
// fitted.
type UnfittableError struct {
	V     V1
	RelSE float64
}

func (e *UnfittableError) Error() string {
	return fmt.Sprintf("fit V_1: only %d widths reached a relative SE of %.0f%% (raise --max-samples)", len(e.V.Points), 100*e.RelSE)
}

// MeasureV1 measures the whole network with one member at each width of a
// (cached through cfg.Cache) and fits the width laws.
func (a Architecture) MeasureV1(cfg ntk.ScanConfig) (V1, error) {
	var pts []ntk.ScanPoint
	for i, n := range a.Widths {
		s := a.Measure
		s.Width = n
		if cfg.Log != nil {
			cfg.Log.Debugf("V_1: width %d (%d of %d)", n, i+1, len(a.Widths))
		}
		pt, err := ntk.MeasureSpec(s, cfg)
		if err != nil {
			return V1{}, fmt.Errorf("measure V_1(%d): %w", n, err)
		}
		pts = append(pts, pt)
	}
	v := V1{}
	for _, p := range pts {
		if rule := cfg.Sampling; rule.Min < rule.Max && p.Summary.VDiag.RelSE() > rule.RelSE {
			v.Unreliable = append(v.Unreliable, p)
			continue
		}
		v.Points = append(v.Points, p)
	}
	if len(v.Points) < 3 {
		return V1{}, &UnfittableError{V: v, RelSE: cfg.Sampling.RelSE}
	}
	sel, err := ntk.WidthFits(v.Points, ntk.WidthLaws(a.HNDepth))
	if err != nil {
		return V1{}, fmt.Errorf("fit V_1: %w", err)
	}
	v.Fits, v.Reason = sel.Fits, sel.Reason
	v.MinWidth, v.MaxWidth = v.Points[0].N, v.Points[len(v.Points)-1].N
	if len(v.Unreliable) > 0 && cfg.Log != nil {
		for _, p := range v.Unreliable {
			cfg.Log.Warnf("V_1(%d) = %.3g ± %.2g stopped at its cap of %d initialisations above %.0f%% relative SE: left out of the fit and the search", p.N, p.Summary.VDiag.Value, p.Summary.VDiag.SE, p.Summary.Samples, 100*cfg.Sampling.RelSE)
		}
	}
	return v, nil
}

// Problem is the search problem over m in [1, maxM] and n from the
// smallest width V_1 was fitted at to maxN, with V(m, n) = V_1(n)/m. A
// grid that reaches past the widest measured width is warned of on log
// (nil: the line is dropped).
func (a Architecture) Problem(v V1, maxM, maxN int, log logrus.FieldLogger) (Problem, error) {
	if maxM < 1 || maxN < 1 {
		return Problem{}, fmt.Errorf("grid m ≤ %d, n ≤ %d: both bounds must be ≥ 1", maxM, maxN)
	}
	if maxN > v.MaxWidth {
		logs.OrDiscard(log).Warnf("V_1(n) for n in (%d, %d] is extrapolated by %s", v.MaxWidth, maxN, v.Fits[0].Law)
	}
	p := Problem{Params: a.Params, V: CE(v.At)}
	for m := 1; m <= maxM; m++ {
		p.Ms = append(p.Ms, m)
	}
	// Widths below the smallest fitted one would be extrapolated.
	for n := v.MinWidth; n <= maxN; n++ {
		p.Ns = append(p.Ns, n)
	}
	return p, nil
}
