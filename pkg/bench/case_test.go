package bench

import (
	"slices"
	"testing"
)

func TestAccounting(t *testing.T) {
	for _, tc := range []struct {
		name          string
		params        int
		fwdFLOPs      int64
		fwdBytes      int64
		perGroup      int
		stepFLOPsMult int64
	}{
		// 2·B·m·n² = 2·128·16·64²; x, y 128·1024 and W 16·64² floats.
		{"blockdiag-B128-m16-n64", 65536, 16777216, 4 * (131072 + 65536 + 131072), 64, 3},
		// 2·128·1024²; W 1024².
		{"dense-B128-1024", 1048576, 268435456, 4 * (131072 + 1048576 + 131072), 1024, 3},
		// 2·N·O·H·W·(C/g)·9 = 2·32·370·1024·10·9; x, y 32·370·1024, w 370·10·9.
		{"gconv-N32-C370-H32-g37", 33300, 2182348800, 4 * (12124160 + 33300 + 12124160), 10, 3},
		// stride 2: output 3×3; 2·2·4·9·2·9 = 2592; x 2·4·25, w 4·2·9, y 2·4·9.
		{"gconv-N2-C4-H5-g2-s2", 72, 2592, 4 * (200 + 72 + 72), 2, 3},
	} {
		c, err := ParseCase(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if c.Params() != tc.params || c.PerGroup() != tc.perGroup {
			t.Errorf("%s: params %d, per group %d; want %d, %d", tc.name, c.Params(), c.PerGroup(), tc.params, tc.perGroup)
		}
		for _, p := range []Pass{Forward, BackwardData, BackwardWeight} {
			if c.FLOPs(p) != tc.fwdFLOPs || c.Bytes(p) != tc.fwdBytes {
				t.Errorf("%s %s: %d FLOPs, %d bytes; want %d, %d", tc.name, p, c.FLOPs(p), c.Bytes(p), tc.fwdFLOPs, tc.fwdBytes)
			}
		}
		if c.FLOPs(FwdBwd) != 3*tc.fwdFLOPs || c.Bytes(FwdBwd) != 3*tc.fwdBytes {
			t.Errorf("%s fwd+bwd: %d FLOPs, %d bytes; want 3× forward", tc.name, c.FLOPs(FwdBwd), c.Bytes(FwdBwd))
		}
	}
}

func TestEquivalents(t *testing.T) {
	c, _ := ParseCase("gconv-N32-C370-H32-g37")
	var names []string
	for _, e := range c.Equivalents() {
		names = append(names, e.Name())
	}
	// same width 370; same parameters 370/√37 ≈ 60.8.
	if want := []string{"conv-N32-C370-H32-g1", "conv-N32-C61-H32-g1"}; !slices.Equal(names, want) {
		t.Errorf("equivalents %v, want %v", names, want)
	}
	d, _ := ParseCase("blockdiag-B128-m16-n64")
	if eq := d.Equivalents(); len(eq) != 2 || eq[0].Name() != "dense-B128-1024" || eq[1].Name() != "dense-B128-256" {
		t.Errorf("blockdiag equivalents %v", eq)
	}
	dense, _ := ParseCase("conv-N32-C128-H32-g1")
	if eq := dense.Equivalents(); len(eq) != 0 {
		t.Errorf("a dense case has equivalents %v", eq)
	}
}

func TestPresets(t *testing.T) {
	p, err := LookupPreset("ce-cpu")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range p.Cases {
		names = append(names, c.Name())
	}
	want := []string{"blockdiag-B128-m16-n64", "blockdiag-B128-m64-n16", "dense-B128-1024", "gconv-N32-C370-H32-g37",
		"gconv-N32-C192-H32-g3", "conv-N32-C128-H32-g1", "gconv-N32-C120-H56-g12", "gconv-N32-C128-H56-g32"}
	if !slices.Equal(names, want) || !slices.Equal(p.Passes, []Pass{FwdBwd}) {
		t.Errorf("ce-cpu = %v %v, want %v [fwd+bwd]", names, p.Passes, want)
	}
	for _, p := range Presets() {
		seen := map[string]bool{}
		for _, c := range p.Cases {
			if err := c.Validate(); err != nil {
				t.Errorf("preset %s: %v", p.Name, err)
			}
			if seen[c.Name()] {
				t.Errorf("preset %s: %s twice", p.Name, c.Name())
			}
			seen[c.Name()] = true
		}
	}
	r50, _ := LookupPreset("resnext50")
	if r50.Cases[4].Name() != "gconv-N32-C128-H56-g32" || r50.Cases[0].Name() != "conv-N32-C64-H56-g1" {
		t.Errorf("resnext50 starts %s ... %s", r50.Cases[0].Name(), r50.Cases[4].Name())
	}
	if _, err := LookupPreset("resnet"); err == nil {
		t.Error("unknown preset accepted")
	}
}
