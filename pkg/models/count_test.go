package models

import (
	"errors"
	"math"
	"testing"
)

func imagenet(f Family, members, width int) Spec {
	return Spec{Family: f, Members: members, Width: width, Classes: 1000, Input: Input{3, 224, 224}}
}

func cifar(members, width, classes int) Spec {
	return Spec{Family: ResNeXt29, Members: members, Width: width, Depth: 29, Classes: classes, Input: Input{3, 32, 32}}
}

// TestParamCountPublished checks the counters against torchvision and the
// ResNeXt paper's CIFAR-10 models (34.43M and 68.16M).
func TestParamCountPublished(t *testing.T) {
	for _, c := range []struct {
		name string
		spec Spec
		want int
	}{
		{"resnet50 (resnext50 1×64d)", imagenet(ResNeXt50, 1, 64), 25_557_032},
		{"resnext50 32×4d", imagenet(ResNeXt50, 32, 4), 25_028_904},
		{"resnext101 32×8d", imagenet(ResNeXt101, 32, 8), 88_791_336},
		{"resnet101 (resnext101 1×64d)", imagenet(ResNeXt101, 1, 64), 44_549_160},
		{"resnext29 8×64d cifar10", cifar(8, 64, 10), 34_426_698},
		{"resnext29 16×64d cifar10", cifar(16, 64, 10), 68_155_210},
		{"mlp 4×128 L1 mnist", Spec{Family: MLP, Members: 4, Width: 128, Depth: 1, Classes: 10, Input: Input{1, 28, 28}}, 784*512 + 512 + 4*(128*10+10)},
		{"mlp 2×3 L3", Spec{Family: MLP, Members: 2, Width: 3, Depth: 3, Classes: 2, Input: Input{1, 1, 5}}, 5*6 + 6 + 2*2*(9+3) + 2*(6+2)},
		{"convnet 2×4 L2", Spec{Family: ConvNet, Members: 2, Width: 4, Depth: 2, Classes: 3, Input: Input{1, 8, 8}}, 9*8 + 8 + 8*4*9 + 8 + 2*(4*3+3)},
	} {
		got, err := ParamCount(c.spec)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: ParamCount = %d, want %d", c.name, got, c.want)
		}
	}
}

// TestParamCountResNeXt29Rounded ties the exact CIFAR counts to the paper's
// rounded figures.
func TestParamCountResNeXt29Rounded(t *testing.T) {
	for _, c := range []struct {
		members int
		want    float64
	}{{8, 34.43}, {16, 68.16}} {
		got, err := ParamCount(cifar(c.members, 64, 10))
		if err != nil {
			t.Fatal(err)
		}
		if m := math.Round(float64(got)/1e4) / 100; m != c.want {
			t.Errorf("resnext29 %d×64d: %d params = %.2fM, want %.2fM", c.members, got, m, c.want)
		}
	}
}

func TestParamCountRejectsBadSpecs(t *testing.T) {
	for _, s := range []Spec{
		{Family: "vgg", Members: 1, Width: 1, Depth: 1, Classes: 2, Input: Input{1, 2, 2}},
		{Family: MLP, Members: 0, Width: 1, Depth: 1, Classes: 2, Input: Input{1, 2, 2}},
		{Family: MLP, Members: 1, Width: 1, Depth: 0, Classes: 2, Input: Input{1, 2, 2}},
		{Family: ResNeXt29, Members: 8, Width: 64, Depth: 30, Classes: 10, Input: Input{3, 32, 32}},
		{Family: ResNeXt50, Members: 32, Width: 4, Depth: 49, Classes: 10, Input: Input{3, 224, 224}},
		{Family: ResNeXt29, Members: 8, Width: 64, Depth: 29, Classes: 10, Input: Input{3, 32, 32}, Parameterization: NTK},
	} {
		if _, err := ParamCount(s); !errors.Is(err, ErrSpec) {
			t.Errorf("ParamCount(%+v) error %v, want ErrSpec", s, err)
		}
	}
}
