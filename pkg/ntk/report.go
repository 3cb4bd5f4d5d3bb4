package ntk

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/collegium/collegium/pkg/models"
)

// Study is the set of experiments behind docs/THEORY.md: (a) V of an
// MLP-CE against the number of members, (b) V of single ReLU MLPs over
// depth and width against Hanin & Nica, (c) V_1(n) of an isolated ResNeXt
// bottleneck path and of the whole ResNeXt-29 (m = 1) against width.
type Study struct {
	Scan ScanConfig
	// Members, Depths, Widths, PathWidths and NetWidths are the grids of
	// (a), (b) (depths × widths), (c) path and (c) whole network.
	Members, Depths, Widths, PathWidths, NetWidths []int
	// MembersSpec is (a)'s MLP-CE, DepthSpec the MLP of (b) and NetSpec the
	// whole network of (c), each with the input size measured.
	MembersSpec, DepthSpec, NetSpec models.Spec
	// NetSampling is the Monte-Carlo rule for the whole networks of (c).
	NetSampling Sampling
	// Path is (c)'s bottleneck path (its Width is varied).
	Path BottleneckPath
}

// DefaultStudy is the full study (about 15 minutes on 2 cores) or, with
// quick, a reduced one for CI (under a minute).
func DefaultStudy(quick bool) Study {
	mnist := models.Input{Channels: 1, Height: 28, Width: 28}
	s := Study{
		Scan:        ScanConfig{Sampling: FixedSampling(400), Seed: 1, Inputs: 4, InputSeed: 1},
		Members:     []int{1, 2, 4, 8, 16, 32},
		Depths:      []int{1, 2, 4, 8},
		Widths:      []int{16, 32, 64},
		PathWidths:  []int{1, 2, 4, 8, 16, 32, 64},
		NetWidths:   []int{1, 2, 4, 8, 16, 32, 64},
		MembersSpec: models.Spec{Family: models.MLP, Members: 1, Width: 16, Depth: 2, Classes: 10, Input: mnist, Aggregation: models.AggregateMean},
		DepthSpec:   models.Spec{Family: models.MLP, Classes: 10, Input: models.Input{Channels: 1, Height: 8, Width: 8}},
		NetSpec:     models.Spec{Family: models.ResNeXt29, Members: 1, Depth: 29, Classes: 10, Input: models.Input{Channels: 3, Height: 8, Width: 8}, Aggregation: models.AggregateMean},
		NetSampling: FixedSampling(64),
		Path:        BottleneckPath{In: 256, Size: 4},
	}
	if quick {
		s.Scan.Sampling = FixedSampling(60)
		s.Members = []int{1, 2, 4, 8}
		s.Depths = []int{1, 2}
		s.Widths = []int{8, 16}
		s.PathWidths = []int{2, 8, 32}
		s.NetWidths = nil
	}
	return s
}

// Run measures every experiment of the study and writes Markdown tables
// and fits to w.
func (s Study) Run(w io.Writer) error {
	pts, slope, err := MembersScan(s.MembersSpec, s.Members, s.Scan)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "### (a) V of an MLP-CE against members m (%s, %s, %s)\n\n", s.MembersSpec, s.Scan.Sampling, s.Scan.InputsLabel(s.MembersSpec.Input.Size()))
	WritePoints(w, pts)
	fmt.Fprintf(w, "\nFitted log-log slope of V_diag against m: **%.3f ± %.3f** (theory −1).\n\n", slope.Slope, slope.SE)
	held := "holds"
	if math.Abs(slope.Slope+1) > 2*slope.SE {
		held = "does not hold within 2 SE"
	}
	fmt.Fprintf(w, "Verdict on V ∝ 1/m for the MLP-CE: %s (slope %.3f ± %.3f).\n\n", held, slope.Slope, slope.SE)

	pts, fit, err := DepthWidthScan(s.DepthSpec, s.Depths, s.Widths, s.Scan)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "### (b) V of single He-initialised ReLU MLPs over depth L and width n (input %d, %s, %s)\n\n", s.DepthSpec.Input.Size(), s.Scan.Sampling, s.Scan.InputsLabel(s.DepthSpec.Input.Size()))
	WritePoints(w, pts)
	fmt.Fprintf(w, "\nFit V = exp(c·L/n) − 1: **c = %.2f ± %.2f** (Hanin & Nica: 5), weighted SSE %.1f over %d points.\n\n", fit.Params[0], fit.ParamSE[0], fit.WSSE, fit.Points)
	fmt.Fprintf(w, "Verdict on Hanin & Nica's exp(5·L/n) − 1 for ReLU MLPs: %s.\n\n", hnVerdict(fit))

	// A block feeds all its output channels onward: measure the kernel of
	// their sum (the trace would cost one gradient per channel).
	pathScan := s.Scan
	pathScan.Output = Output{Sum: true}
	var paths []ScanPoint
	for _, n := range s.PathWidths {
		p := s.Path
		p.Width = n
		pt, err := MeasurePath(p, pathScan)
		if err != nil {
			return err
		}
		paths = append(paths, pt)
	}
	fmt.Fprintf(w, "### (c) V_1(n) of an isolated bottleneck path %d→n→n→%d (%d×%d inputs, no BN, kernel of the summed output channels, %s)\n\n", s.Path.In, s.Path.In, s.Path.Size, s.Path.Size, s.Scan.Sampling)
	// A path has two width-n layers (the reduce and the 3×3 conv).
	if err := writeWidthStudy(w, paths, 2); err != nil {
		return err
	}
	if len(s.NetWidths) == 0 {
		return nil
	}
	net := s.Scan
	net.Sampling = s.NetSampling
	var nets []ScanPoint
	for _, n := range s.NetWidths {
		spec := s.NetSpec
		spec.Width = n
		pt, err := MeasureSpec(spec, net)
		if err != nil {
			return err
		}
		nets = append(nets, pt)
	}
	fmt.Fprintf(w, "### (c) V_1(n) of the whole %s network, m = 1 (input %dx%dx%d, eval-mode BN, %s)\n\n",
		s.NetSpec.Family, s.NetSpec.Input.Channels, s.NetSpec.Input.Height, s.NetSpec.Input.Width, net.Sampling)
	// ResNeXt-29: 3 blocks per stage, 2 layers of width n·{1, 2, 4} per block.
	return writeWidthStudy(w, nets, 6+3+1.5)
}

// hnVerdict says whether the form exp(c·L/n) − 1 fits (χ²/dof ≤ 3) and
// whether c agrees with Hanin & Nica's 5 within 2 SE.
func hnVerdict(f Fit) string {
	dof := float64(f.Points - 1)
	form := fmt.Sprintf("the form fits (χ²/dof %.1f)", f.WSSE/dof)
	if f.WSSE/dof > 3 {
		form = fmt.Sprintf("the form does not fit (χ²/dof %.1f)", f.WSSE/dof)
	}
	c := fmt.Sprintf("its constant c = %.2f ± %.2f agrees with 5", f.Params[0], f.ParamSE[0])
	if math.Abs(f.Params[0]-5) > 2*f.ParamSE[0] {
		c = fmt.Sprintf("its constant c = %.2f ± %.2f is not 5 (theirs is the limit of deep, wide networks; at these depths the input and readout layers, which do not compound, weigh more)", f.Params[0], f.ParamSE[0])
	}
	return form + "; " + c
}

// writeWidthStudy writes the points and every width law fitted to them,
// for a network of Hanin–Nica depth L.
func writeWidthStudy(w io.Writer, pts []ScanPoint, depth float64) error {
	WritePoints(w, pts)
	sel, err := WidthFits(pts, WidthLaws(depth))
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	WriteFits(w, sel.Fits)
	fmt.Fprintf(w, "\nChosen: %s.\n\n", sel.Reason)
	return nil
}

// WriteFits writes fits as a Markdown table in their order.
func WriteFits(w io.Writer, fits []Fit) {
	fmt.Fprintln(w, "| law | parameters | weighted SSE | AIC | held-out z² |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|")
	for _, f := range fits {
		var ps []string
		for i, name := range f.Names {
			ps = append(ps, fmt.Sprintf("%s = %.4g ± %.2g", name, f.Params[i], f.ParamSE[i]))
		}
		fmt.Fprintf(w, "| %s | %s | %.2f | %.2f | %.3g |\n", f.Law, strings.Join(ps, ", "), f.WSSE, f.AIC, f.CV)
	}
}

// WriteTails writes the tail diagnostics and the split-half check of
// measured points as a Markdown table.
func WriteTails(w io.Writer, pts []ScanPoint) {
	fmt.Fprintln(w, "| network | samples | rel. SE | bootstrap SE | kurtosis K(x,x) | max/median | top share | V log-normal | V first half | V second half | z |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, p := range pts {
		s := p.Summary
		h := Halves{First: Estimate{Value: math.NaN()}, Second: Estimate{Value: math.NaN()}, Z: math.NaN()}
		if s.Halves != nil {
			h = *s.Halves
		}
		fmt.Fprintf(w, "| %s | %d | %.1f%% | %.2g | %.3g | %.3g | %.2f | %.4g | %.4g ± %.2g | %.4g ± %.2g | %.2f |\n",
			p.Name, s.Samples, 100*s.VDiag.RelSE(), s.VDiag.BootSE, s.Tail.Kurtosis, s.Tail.MaxOverMedian, s.Tail.TopShare,
			s.Tail.VLogNormal, h.First.Value, h.First.SE, h.Second.Value, h.Second.SE, h.Z)
	}
}

// WritePoints writes measured points as a Markdown table.
func WritePoints(w io.Writer, pts []ScanPoint) {
	fmt.Fprintln(w, "| network | m | n | L | params | E[K(x,x)] | V_diag ± SE | 95% CI | V_off ± SE |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---|---:|")
	for _, p := range pts {
		s := p.Summary
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %.4g | %.4g ± %.2g | [%.4g, %.4g] | %.4g ± %.2g |\n",
			p.Name, p.M, p.N, p.L, p.Params, s.MeanDiag, s.VDiag.Value, s.VDiag.SE, s.VDiag.Lo, s.VDiag.Hi, s.VOff.Value, s.VOff.SE)
	}
}
