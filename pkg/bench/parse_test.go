package bench

import (
	"strings"
	"testing"
)

func TestParseCaseGood(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Case
		name string
	}{
		{"gconv:N=32,C=370,H=32,g=37", Case{Op: GroupedConv, Batch: 32, Channels: 370, H: 32, W: 32, Groups: 37, Kernel: 3, Stride: 1}, "gconv-N32-C370-H32-g37"},
		{" gconv-N32-C370-H32-g37 ", Case{Op: GroupedConv, Batch: 32, Channels: 370, H: 32, W: 32, Groups: 37, Kernel: 3, Stride: 1}, "gconv-N32-C370-H32-g37"},
		{"conv:N=32, C=128, H=32", Case{Op: Conv, Batch: 32, Channels: 128, H: 32, W: 32, Groups: 1, Kernel: 3, Stride: 1}, "conv-N32-C128-H32-g1"},
		{"conv-N32-C128-H32-g1", Case{Op: Conv, Batch: 32, Channels: 128, H: 32, W: 32, Groups: 1, Kernel: 3, Stride: 1}, "conv-N32-C128-H32-g1"},
		{"gconv:N=2,C=8,H=7,W=5,g=4,k=1,s=2", Case{Op: GroupedConv, Batch: 2, Channels: 8, H: 7, W: 5, Groups: 4, Kernel: 1, Stride: 2}, "gconv-N2-C8-H7-g4-W5-k1-s2"},
		{"blockdiag:B=128,m=16,n=64", Case{Op: BlockDiag, Batch: 128, Channels: 1024, Groups: 16}, "blockdiag-B128-m16-n64"},
		{"blockdiag-B128-m64-n16", Case{Op: BlockDiag, Batch: 128, Channels: 1024, Groups: 64}, "blockdiag-B128-m64-n16"},
		{"dense-B128-1024", Case{Op: Dense, Batch: 128, Channels: 1024, Groups: 1}, "dense-B128-1024"},
		{"dense:B=128,n=1024", Case{Op: Dense, Batch: 128, Channels: 1024, Groups: 1}, "dense-B128-1024"},
	} {
		got, err := ParseCase(tc.in)
		if err != nil {
			t.Errorf("ParseCase(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseCase(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if got.Name() != tc.name {
			t.Errorf("ParseCase(%q).Name() = %q, want %q", tc.in, got.Name(), tc.name)
		}
		back, err := ParseCase(got.Name())
		if err != nil || back != got {
			t.Errorf("ParseCase(%q) = %+v, %v; want %+v", got.Name(), back, err, got)
		}
	}
}

func TestParseCaseBad(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "unknown op"},
		{"fft:N=1", "unknown op"},
		{"gconv:N=32,C=370,H=32", "number of groups"},
		{"gconv:N=32,C=370,H=32,g=36", "not divisible"},
		{"gconv:N=32,C=370,g=37", "missing H"},
		{"gconv:N=32,C=370,H=32,g=37,q=1", `unknown key "q"`},
		{"gconv:N=32,C=370,H=32,g=37,N=4", "given twice"},
		{"gconv:N=32,C=370,H=x,g=37", "not a positive integer"},
		{"gconv:N=32,C=370,H=-3,g=37", "not a positive integer"},
		{"gconv:N=32,C=370,H=0,g=37", "not a positive integer"},
		{"gconv:N=32,C370,H=32", "not key=value"},
		{"conv:N=32,C=128,H=32,g=4", "one group"},
		{"dense:B=128,m=4,n=8", "one group"},
		{"blockdiag:B=128,n=64", "number of groups"},
		{"blockdiag-B128-m16", "missing n"},
		{"blockdiag-B128-m16-64", "has no key"},
		{"gconv:N=1000000,C=1000000,H=1000000,g=1", "beyond any device"},
		{"gconv:N=99999999999999999999,C=4,H=4,g=1", "not a positive integer"},
	} {
		_, err := ParseCase(tc.in)
		if err == nil {
			t.Errorf("ParseCase(%q) succeeded, want an error containing %q", tc.in, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.in) {
			t.Errorf("ParseCase(%q) = %v, want an error naming the case and containing %q", tc.in, err, tc.want)
		}
	}
}

func TestParsePasses(t *testing.T) {
	ps, err := ParsePasses("fwd, fwd+bwd,fwd")
	if err != nil || len(ps) != 2 || ps[0] != Forward || ps[1] != FwdBwd {
		t.Errorf("ParsePasses = %v, %v; want [fwd fwd+bwd]", ps, err)
	}
	if ps, err := ParsePasses("all"); err != nil || len(ps) != 4 {
		t.Errorf("ParsePasses(all) = %v, %v", ps, err)
	}
	if _, err := ParsePasses("fwd,bwd"); err == nil || !strings.Contains(err.Error(), `"bwd"`) {
		t.Errorf("ParsePasses(fwd,bwd) = %v, want an error naming bwd", err)
	}
}
