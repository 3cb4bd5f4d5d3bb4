package models

import (
	"errors"
	"fmt"
	"math"
)

// Family names an architecture family.
type Family string

// The families Build and ParamCount know.
const (
	MLP        Family = "mlp"
	ConvNet    Family = "convnet"
	ResNeXt29  Family = "resnext29"
	ResNeXt50  Family = "resnext50"
	ResNeXt101 Family = "resnext101"
)

// Families lists every family, in the order the CLI shows them.
var Families = []Family{MLP, ConvNet, ResNeXt29, ResNeXt50, ResNeXt101}

// HasBN reports whether the family's models hold batch-normalisation
// layers (the ResNeXts; the MLP and the ConvNet have none).
func (f Family) HasBN() bool { return f == ResNeXt29 || f == ResNeXt50 || f == ResNeXt101 }

// Aggregation is the scale c_m of a CE's output F = c_m·Σ_j f_j.
type Aggregation string

// The two aggregations of the paper: the mean (1/m) and 1/√m.
const (
	AggregateMean Aggregation = "mean"
	AggregateSqrt Aggregation = "sqrt"
)

// Parameterization is how weights are scaled (MLP and ConvNet only).
type Parameterization string

// Standard stores θ ~ N(0, 2/fan_in) and trains θ. NTK trains ω with
// θ = sqrt(2/fan_in)·ω, ω ~ N(0, 1); Build realises it as the standard
// model with a per-parameter learning-rate scale (see Param.LRScale).
const (
	Standard Parameterization = "standard"
	NTK      Parameterization = "ntk"
)

// Input is the shape of one example: channels, height and width. MLPs see
// it flattened to C·H·W features.
type Input struct {
	Channels int `yaml:"channels" json:"channels"`
	Height   int `yaml:"height" json:"height"`
	Width    int `yaml:"width" json:"width"`
}

// Size is C·H·W.
func (in Input) Size() int { return in.Channels * in.Height * in.Width }

// Spec describes a collegial ensemble or a ResNeXt.
//
// Members is m: the number of CE members (MLP, ConvNet) or the cardinality C
// (ResNeXt). Width is n: hidden units or channels per member, or the
// ResNeXt base width per group w (so ResNeXt-50 32×4d is Members 32, Width
// 4, and ResNet-50 is Members 1, Width 64). Depth is L: the number of hidden
// layers (MLP), of convolutions (ConvNet), or the ResNeXt-29 depth 2+9k; it
// is fixed (0, or 50 / 101) for ResNeXt-50/101. Widen is ResNeXt-29's stage
// widening factor (stage outputs 64·Widen·{1, 2, 4}; 0 means 4).
type Spec struct {
	Family           Family           `yaml:"family" json:"family"`
	Members          int              `yaml:"members" json:"members"`
	Width            int              `yaml:"width" json:"width"`
	Depth            int              `yaml:"depth" json:"depth"`
	Classes          int              `yaml:"classes" json:"classes"`
	Input            Input            `yaml:"input" json:"input"`
	Aggregation      Aggregation      `yaml:"aggregation" json:"aggregation"`
	Parameterization Parameterization `yaml:"parameterization" json:"parameterization"`
	Widen            int              `yaml:"widen,omitempty" json:"widen,omitempty"`
}

// ErrSpec is wrapped by every error that reports an invalid Spec.
var ErrSpec = errors.New("invalid model spec")

func specErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSpec, fmt.Sprintf(format, args...))
}

// Validate reports the first problem with s, naming the field.
func (s Spec) Validate() error {
	known := false
	for _, f := range Families {
		known = known || f == s.Family
	}
	switch {
	case !known:
		return specErr("family %q: want one of %v", s.Family, Families)
	case s.Members < 1:
		return specErr("members %d: must be ≥ 1", s.Members)
	case s.Width < 1:
		return specErr("width %d: must be ≥ 1", s.Width)
	case s.Classes < 1:
		return specErr("classes %d: must be ≥ 1", s.Classes)
	case s.Input.Channels < 1 || s.Input.Height < 1 || s.Input.Width < 1:
		return specErr("input %dx%dx%d: every dimension must be ≥ 1", s.Input.Channels, s.Input.Height, s.Input.Width)
	case s.Aggregation != "" && s.Aggregation != AggregateMean && s.Aggregation != AggregateSqrt:
		return specErr("aggregation %q: want %q or %q", s.Aggregation, AggregateMean, AggregateSqrt)
	case s.Parameterization != "" && s.Parameterization != Standard && s.Parameterization != NTK:
		return specErr("parameterization %q: want %q or %q", s.Parameterization, Standard, NTK)
	case s.Parameterization == NTK && s.Family != MLP && s.Family != ConvNet:
		return specErr("parameterization ntk is for mlp and convnet, not %s (BN makes it moot)", s.Family)
	case s.Widen < 0:
		return specErr("widen %d: must be ≥ 0", s.Widen)
	}
	return s.validateDepth()
}

func (s Spec) validateDepth() error {
	switch s.Family {
	case MLP, ConvNet:
		if s.Depth < 1 {
			return specErr("depth %d: %s needs at least 1 hidden layer", s.Depth, s.Family)
		}
	case ResNeXt29:
		if s.Depth < 11 || (s.Depth-2)%9 != 0 {
			return specErr("depth %d: resnext29 depth must be 2+9k with k ≥ 1 (29 is the reference)", s.Depth)
		}
		if s.Input.Height < 4 || s.Input.Width < 4 {
			return specErr("input %dx%d: resnext29 needs at least 4x4", s.Input.Height, s.Input.Width)
		}
	case ResNeXt50, ResNeXt101:
		if want := imagenetDepth[s.Family]; s.Depth != 0 && s.Depth != want {
			return specErr("depth %d: %s has depth %d (leave it 0)", s.Depth, s.Family, want)
		}
		if s.Input.Height < 32 || s.Input.Width < 32 {
			return specErr("input %dx%d: %s downsamples 32 times and needs at least 32x32", s.Input.Height, s.Input.Width, s.Family)
		}
	}
	return nil
}

// Scale is the aggregation scale c_m: 1/m for the mean, 1/√m for sqrt.
func (s Spec) Scale() float64 {
	if s.Aggregation == AggregateSqrt {
		return 1 / math.Sqrt(float64(s.Members))
	}
	return 1 / float64(s.Members)
}

// String names the spec as the paper does, e.g. "mlp 4×128 L1" or
// "resnext29 8×64d".
func (s Spec) String() string {
	switch s.Family {
	case MLP, ConvNet:
		return fmt.Sprintf("%s %d×%d L%d", s.Family, s.Members, s.Width, s.Depth)
	}
	return fmt.Sprintf("%s %d×%dd", s.Family, s.Members, s.Width)
}

func (s Spec) widen() int {
	if s.Widen == 0 {
		return 4
	}
	return s.Widen
}

// imagenetDepth and imagenetBlocks give torchvision's bottleneck counts.
var (
	imagenetDepth  = map[Family]int{ResNeXt50: 50, ResNeXt101: 101}
	imagenetBlocks = map[Family][4]int{ResNeXt50: {3, 4, 6, 3}, ResNeXt101: {3, 4, 23, 3}}
)
