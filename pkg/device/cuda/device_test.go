//go:build gpu || cudaemu

package cuda

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cuda/internal/probe"
	"github.com/collegium/collegium/pkg/device/devicetest"
	"gorgonia.org/tensor"
)

// openTest opens GPU 0, or skips when none can be opened; under the GPU
// check (COLLEGIUM_GPU_CHECK=1) that fails the test instead, so that a check
// whose device does not open cannot pass without running anything.
func openTest(tb testing.TB) *Device {
	tb.Helper()
	d, err := New(0)
	if err != nil {
		failIfGPUCheck(tb, "no CUDA device: %v", err)
		tb.Skipf("no CUDA device: %v", err)
	}
	tb.Cleanup(func() {
		if err := d.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return d
}

// failIfGPUCheck fails the test with the message when COLLEGIUM_GPU_CHECK
// is 1 (or malformed), and otherwise does nothing.
func failIfGPUCheck(tb testing.TB, format string, a ...any) {
	tb.Helper()
	switch v := os.Getenv(probe.CheckEnv); v {
	case "", "0":
	case "1":
		tb.Fatalf("%s=1 (a GPU check) does not allow a skip: "+format, append([]any{probe.CheckEnv}, a...)...)
	default:
		tb.Fatalf("%s=%q: want 1 or 0; and: "+format, append([]any{probe.CheckEnv, v}, a...)...)
	}
}

func TestConformanceFloat32(t *testing.T) {
	d := openTest(t)
	t.Logf("%s: %s", d.Name(), d.Model())
	devicetest.Run(t, d, tensor.Float32)
}

// TestDeterministicFloat32: every kernel gives the same bits when run again
// on the same inputs (no sum whose order depends on the block schedule; the
// emulator runs blocks in a fresh random order at every launch).
func TestDeterministicFloat32(t *testing.T) {
	devicetest.Deterministic(t, tensor.Float32, openTest(t))
}

// TestGemmTile: the largest tile that still gives every multiprocessor a
// block, the smallest when none does.
func TestGemmTile(t *testing.T) {
	for _, c := range []struct{ m, n, batch, sms, want int }{
		{4096, 4096, 1, 132, 128}, // 1024 blocks of 128
		{128, 64, 16, 132, 32},    // B128 m16 n64: 32 blocks of 64, 128 of 32 (still < 132)
		{128, 1024, 1, 132, 32},   // dense B128: 8 of 128, 32 of 64
		{1024, 1024, 1, 132, 64},  // 64 blocks of 128, 256 of 64
		{2048, 1024, 1, 108, 128}, // 128 of 128 on an A100
		{1, 1, 1, 132, 32},
		{750, 750, 1, 132, 64}, // the conformance suite's large cases
		{1500, 1500, 1, 132, 128},
	} {
		if got := gemmTile(c.m, c.n, c.batch, c.sms); got != c.want {
			t.Errorf("gemmTile(%d, %d, batch %d, %d SMs) = %d, want %d", c.m, c.n, c.batch, c.sms, got, c.want)
		}
	}
	if k := gemmKernel(64, true, false); k != "gemm_64_tn_f32" {
		t.Errorf("gemmKernel(64, T, N) = %s", k)
	}
}

// TestTiledConvCovers: the CE benchmark shapes run conv_tiled forward and
// backward-data and conv_wgrad_tiled; a 5×5 filter (25 taps) and backward-data at stride 2 fall
// back to v1.
func TestTiledConvCovers(t *testing.T) {
	for _, c := range convCases {
		if !forwardTiled(c.p).fits() {
			t.Errorf("%s: forward does not fit conv_tiled", c.name)
		}
		if bt, ok := backwardDataTiled(c.p); !ok || !bt.fits() {
			t.Errorf("%s: backward data does not fit conv_tiled", c.name)
		}
		if !newWgrad(c.p, 132).fits {
			t.Errorf("%s: backward filter does not fit conv_wgrad_tiled", c.name)
		}
	}
	// 32 groups of 4: one block per group, split 17 ways over the 448
	// (image, tile) items to give 132 multiprocessors about four blocks each.
	if w := newWgrad(conv3x3(32, 128, 56, 32), 132); w != (wgradPlan{outTile: 4, blocks: 32, splits: 17, fits: true}) {
		t.Errorf("g32 filter gradient plan %+v", w)
	}
	if w := newWgrad(conv3x3(1, 8, 8, 1), 132); w.splits != 1 {
		t.Errorf("one image of one tile is split %d ways", w.splits)
	}
	p5 := conv3x3(2, 8, 16, 2)
	p5.KH, p5.KW, p5.PadH, p5.PadW = 5, 5, 2, 2
	if forwardTiled(p5).fits() {
		t.Error("a 5×5 filter fits conv_tiled (max 9 taps)")
	}
	p2 := conv3x3(2, 8, 16, 2)
	p2.StrideH, p2.StrideW = 2, 2
	if _, ok := backwardDataTiled(p2); ok {
		t.Error("backward data at stride 2 runs conv_tiled")
	}
	if !forwardTiled(p2).fits() {
		t.Error("forward at stride 2 does not fit conv_tiled")
	}
}

// TestPTXEntries: a kernel's block limit is the product of its .maxntid
// dimensions, or unboundedThreads when it declares none; directives of the
// next kernel do not leak into one without them.
func TestPTXEntries(t *testing.T) {
	src := []byte(`
.visible .entry bounded(
	.param .u64 bounded_param_0
)
.maxntid 1024, 1, 1
{
	ret;
}
.visible .entry plain(
	.param .u64 plain_param_0
)
{
	ret;
}
.visible .entry square(
	.param .u64 square_param_0
)
.maxntid 16, 16, 1
.minnctapersm 2
{
	ret;
}
`)
	got := ptxEntries(src)
	want := map[string]int{"bounded": 1024, "plain": unboundedThreads, "square": 256}
	if len(got) != len(want) {
		t.Errorf("entries %v, want %v", got, want)
	}
	for name, limit := range want {
		if got[name] != limit {
			t.Errorf("%s: limit %d, want %d", name, got[name], limit)
		}
	}
}

// TestLaunchOverBoundsRefused: a block larger than the kernel's
// __launch_bounds__ (or than 256 threads without them) is refused by name,
// before it reaches the driver; the kernels launched with 1024 threads
// declare it.
func TestLaunchOverBoundsRefused(t *testing.T) {
	d := openTest(t)
	y, err := d.Alloc(tensor.Float32, 1024)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Free(y)
	a := args{}
	a.ptr(y.(*Buffer)).f32(1).i64(1024)
	err = d.run("fill_f32", [3]int{1, 1, 1}, 2*unboundedThreads, a)
	if err == nil || !strings.Contains(err.Error(), "fill_f32") || !strings.Contains(err.Error(), "__launch_bounds__") {
		t.Errorf("fill_f32 with %d threads: got %v, want a refusal naming the kernel and __launch_bounds__", 2*unboundedThreads, err)
	}
	for _, k := range []string{"softmax_xent_f32", "weighted_sum_f32"} {
		if d.kernels[k] < 1024 {
			t.Errorf("%s is launched with 1024 threads but may run %d", k, d.kernels[k])
		}
	}
}

// TestErrorFlagClearedBeforeNextKernel: after a kernel reports an invalid
// label, the error flag is clear for the next kernel on the stream, so a
// valid call succeeds and a second invalid one is reported again (the clear
// is ordered on the stream: on the emulator, as on a GPU, a memset on the
// legacy default stream would still be pending when the next kernel runs).
func TestErrorFlagClearedBeforeNextKernel(t *testing.T) {
	d := openTest(t)
	upload := func(v []float32) device.Buffer {
		b, err := d.Alloc(tensor.Float32, len(v))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Upload(b, v); err != nil {
			t.Fatal(err)
		}
		return b
	}
	logits, loss := upload([]float32{0, 0, 0, 0}), upload([]float32{0})
	good, bad := upload([]float32{0, 1}), upload([]float32{0, 2})
	for round := range 3 {
		if err := d.SoftmaxCrossEntropy(2, 2, logits, bad, loss); err == nil || !strings.Contains(err.Error(), "label 2 of row 1") {
			t.Fatalf("round %d: invalid label: got %v, want its error", round, err)
		}
		if err := d.SoftmaxCrossEntropy(2, 2, logits, good, loss); err != nil {
			t.Fatalf("round %d: valid labels after an invalid one: %v", round, err)
		}
		got := []float32{0}
		if err := d.Download(got, loss); err != nil {
			t.Fatalf("round %d: download: %v", round, err)
		}
		if want := float32(math.Log(2)); math.Abs(float64(got[0]-want)) > 1e-6 {
			t.Errorf("round %d: loss %v, want ln 2 = %v", round, got[0], want)
		}
	}
}

func TestSyncEnvRefusesBadValue(t *testing.T) {
	t.Setenv(syncEnv, "yes")
	d, err := New(0)
	if err == nil {
		d.Close()
		t.Fatalf("New with %s=yes succeeded", syncEnv)
	}
	if !strings.Contains(err.Error(), syncEnv) {
		t.Errorf("error %q does not name %s", err, syncEnv)
	}
}

// TestJITLogs: the JIT's logs are cut at their terminating NUL, labelled,
// and left out when empty.
func TestJITLogs(t *testing.T) {
	buf := func(s string) []byte { return append([]byte(s+"\x00"), make([]byte, 32)...) }
	got := jitLogs(buf("ptxas application ptx input, line 7; error   : Unknown symbol 'x'"), buf("ptxas info    : 0 bytes gmem"))
	want := "\nJIT error log:\nptxas application ptx input, line 7; error   : Unknown symbol 'x'\nJIT info log:\nptxas info    : 0 bytes gmem"
	if got != want {
		t.Errorf("jitLogs = %q, want %q", got, want)
	}
	if got := jitLogs(make([]byte, 64), buf("  ")); got != "" {
		t.Errorf("empty logs give %q, want nothing", got)
	}
}

// outcomeTB records how a helper would have ended a test, by its first
// Skipf or Fatalf, instead of ending it; the helper goes on, so it ignores
// later ones and drops cleanups.
type outcomeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (o *outcomeTB) Helper()        {}
func (o *outcomeTB) Cleanup(func()) {}
func (o *outcomeTB) Skipf(format string, a ...any) {
	if !o.skipped && !o.failed {
		o.skipped, o.msg = true, fmt.Sprintf(format, a...)
	}
}
func (o *outcomeTB) Fatalf(format string, a ...any) {
	if !o.skipped && !o.failed {
		o.failed, o.msg = true, fmt.Sprintf(format, a...)
	}
}

// TestGPUCheckDoesNotSkip: when the device does not open (here because of a
// malformed COLLEGIUM_CUDA_SYNC), openTest skips the test, unless
// COLLEGIUM_GPU_CHECK=1 (the GPU check), where it fails it.
func TestGPUCheckDoesNotSkip(t *testing.T) {
	t.Setenv(syncEnv, "not-a-switch")
	for _, c := range []struct {
		check         string
		skip, fail    bool
		wantInMessage string
	}{
		{"", true, false, "no CUDA device"},
		{"0", true, false, "no CUDA device"},
		{"1", false, true, "COLLEGIUM_GPU_CHECK=1"},
		{"true", false, true, `COLLEGIUM_GPU_CHECK="true"`},
	} {
		t.Setenv(probe.CheckEnv, c.check)
		o := &outcomeTB{TB: t}
		if d := openTest(o); d != nil {
			t.Fatalf("%s=not-a-switch: the device opened", syncEnv)
		}
		if o.skipped != c.skip || o.failed != c.fail || !strings.Contains(o.msg, c.wantInMessage) || !strings.Contains(o.msg, syncEnv) {
			t.Errorf("%s=%q: skipped %v, failed %v, message %q; want skipped %v, failed %v, a message with %q and the open error",
				probe.CheckEnv, c.check, o.skipped, o.failed, o.msg, c.skip, c.fail, c.wantInMessage)
		}
	}
}
