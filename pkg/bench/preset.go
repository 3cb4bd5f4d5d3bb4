package bench

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// Preset is a named list of cases with the passes to time by default.
type Preset struct {
	Name        string
	Description string
	Cases       []Case
	Passes      []Pass
}

// Presets lists the named case sets, sorted by name.
func Presets() []Preset {
	ps := []Preset{
		{
			Name:        "ce-cpu",
			Description: "the CE layer shapes of the CPU issue table, fwd+bwd",
			Cases:       ceCPU(),
			Passes:      []Pass{FwdBwd},
		},
		{
			Name:        "resnext29",
			Description: "CIFAR ResNeXt-29 stage 3×3 convs (1×128d, 3×64d, 8×64d; batch 32) with dense equivalents, and an (m, n) sweep at fixed parameter count",
			Cases:       append(WithEquivalents(resnextStages(32, []int{32, 16, 8}, [][2]int{{1, 128}, {3, 64}, {8, 64}})), paramSweep()...),
			Passes:      AllPasses,
		},
		{
			Name:        "resnext50",
			Description: "ImageNet ResNeXt-50 stage 3×3 convs (1×64d, 32×4d; batch 32) with dense equivalents",
			Cases:       WithEquivalents(resnextStages(32, []int{56, 28, 14, 7}, [][2]int{{1, 64}, {32, 4}})),
			Passes:      AllPasses,
		},
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps
}

// LookupPreset returns the preset called name.
func LookupPreset(name string) (Preset, error) {
	var names []string
	for _, p := range Presets() {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Preset{}, fmt.Errorf("unknown preset %q (want one of %s)", name, strings.Join(names, ", "))
}

// ceCPU is the CE table: two block-diagonal layers of width 1024 and
// their dense layer; CE grouped convs (37×10d, 3×64d, 12×10d, 32×4d) and a
// dense conv.
func ceCPU() []Case {
	conv := func(n, c, h, g int) Case {
		op := GroupedConv
		if g == 1 {
			op = Conv
		}
		return Case{Op: op, Batch: n, Channels: c, H: h, W: h, Groups: g, Kernel: 3, Stride: 1}
	}
	return []Case{
		{Op: BlockDiag, Batch: 128, Channels: 1024, Groups: 16},
		{Op: BlockDiag, Batch: 128, Channels: 1024, Groups: 64},
		{Op: Dense, Batch: 128, Channels: 1024, Groups: 1},
		conv(32, 370, 32, 37),
		conv(32, 192, 32, 3),
		conv(32, 128, 32, 1),
		conv(32, 120, 56, 12),
		conv(32, 128, 56, 32),
	}
}

// resnextStages is the 3×3 conv of each stage of a ResNeXt whose stage s
// (s = 0, 1, ...) runs at spatial size sizes[s] with width D = C·w·2^s, for
// every (cardinality C, base width w) in widths.
func resnextStages(batch int, sizes []int, widths [][2]int) []Case {
	var cs []Case
	for _, cw := range widths {
		for s, h := range sizes {
			c := Case{Op: GroupedConv, Batch: batch, Channels: cw[0] * cw[1] << s, H: h, W: h, Groups: cw[0], Kernel: 3, Stride: 1}
			if cw[0] == 1 {
				c.Op = Conv
			}
			cs = append(cs, c)
		}
	}
	return cs
}

// paramSweep holds the parameter count of a 128-channel dense 3×3 conv fixed
// (m·n² = 128²) while the number of groups m grows and the width per group n
// shrinks, at ResNeXt-29's second-stage size (16×16, batch 32).
func paramSweep() []Case {
	var cs []Case
	for m := 1; m <= 256; m *= 4 {
		n := int(math.Round(128 / math.Sqrt(float64(m))))
		c := Case{Op: GroupedConv, Batch: 32, Channels: m * n, H: 16, W: 16, Groups: m, Kernel: 3, Stride: 1}
		if m == 1 {
			c.Op = Conv
		}
		cs = append(cs, c)
	}
	return cs
}

// WithEquivalents returns cs with each grouped case followed by its dense
// equivalents (see Case.Equivalents), keeping the first of any duplicates.
func WithEquivalents(cs []Case) []Case {
	var out []Case
	seen := map[string]bool{}
	add := func(c Case) {
		if !seen[c.Name()] {
			seen[c.Name()] = true
			out = append(out, c)
		}
	}
	for _, c := range cs {
		add(c)
		for _, e := range c.Equivalents() {
			add(e)
		}
	}
	return out
}

// WritePresets lists every preset with its passes and case names.
func WritePresets(w io.Writer) error {
	for _, p := range Presets() {
		var names []string
		for _, c := range p.Cases {
			names = append(names, c.Name())
		}
		var passes []string
		for _, q := range p.Passes {
			passes = append(passes, string(q))
		}
		if _, err := fmt.Fprintf(w, "%s: %s\n  passes: %s\n  cases: %s\n", p.Name, p.Description,
			strings.Join(passes, ", "), strings.Join(names, " ")); err != nil {
			return fmt.Errorf("list presets: %w", err)
		}
	}
	return nil
}
