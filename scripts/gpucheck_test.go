// Package scripts holds tests of the repository's shell scripts.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fakeCudaTest stands in for a cuda.test binary: it records its environment
// and arguments, prints benchmark results when asked for benchmarks, a
// passing run with one skip under COLLEGIUM_CUDA_SYNC=1, and otherwise a run
// that crashes in its second test.
const fakeCudaTest = `#!/bin/sh
echo "check=$COLLEGIUM_GPU_CHECK sync=$COLLEGIUM_CUDA_SYNC args=$*" >>"$CALLS"
case "$*" in *-test.bench*)
	echo "BenchmarkBlockDiag/blockdiag-B128-m16-n64-16   	       1	   123 ns/op	        10.0 GFLOP/s"
	echo "BenchmarkConv/gconv-N32-C370-H32-g37-16        	       1	   456 ns/op	        20.0 GFLOP/s"
	echo PASS
	exit 0;;
esac
if [ "$COLLEGIUM_CUDA_SYNC" = 1 ]; then cat <<'OUT'
=== RUN   TestConformanceFloat32
=== RUN   TestConformanceFloat32/Gemm
=== RUN   TestConformanceFloat32/Conv2d
--- PASS: TestConformanceFloat32 (1.00s)
    --- PASS: TestConformanceFloat32/Gemm (0.50s)
    --- PASS: TestConformanceFloat32/Conv2d (0.50s)
=== RUN   TestGemmTile
--- PASS: TestGemmTile (0.00s)
=== RUN   TestJITRegisters
    jit_test.go:60: loading 8 modules
    jit_test.go:71: no JIT log on this driver
--- SKIP: TestJITRegisters (0.00s)
PASS
OUT
exit 0
fi
cat <<'OUT'
=== RUN   TestConformanceFloat32
--- PASS: TestConformanceFloat32 (1.00s)
=== RUN   TestGemmTile
panic: a crash in the middle of a test
OUT
exit 2
`

// fakeEngineTest is a test binary that skips everything and exits 0, as the
// probe once made one do without a usable GPU.
const fakeEngineTest = `#!/bin/sh
echo "SKIP: no usable CUDA GPU, so the GPU tests of this binary do not run: CUresult 100" >&2
exit 0
`

const fakeNvidiaSMI = `#!/bin/sh
case "$*" in
*--query-gpu=index*) echo "0, NVIDIA H200, 550.54.15, 9.0, 143771 MiB";;
*--query-gpu*) echo "name, driver_version, memory.total [MiB], compute_cap"; echo "NVIDIA H200, 550.54.15, 143771 MiB, 9.0";;
-L) echo "GPU 0: NVIDIA H200 (UUID: GPU-0)";;
*) echo "| NVIDIA-SMI 550.54.15    Driver Version: 550.54.15    CUDA Version: 12.4 |";;
esac
`

// writeExecutable writes an executable file.
func writeExecutable(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestGPUCheckSummary runs scripts/gpu-check.sh on a bundle of stand-in test
// binaries (and a stand-in nvidia-smi, and python3 without PyTorch): its
// header names the GPU, driver, CUDA version and compute capability; every
// test binary runs with COLLEGIUM_GPU_CHECK=1, the first conformance pass
// with COLLEGIUM_CUDA_SYNC=1; the summary counts tests and subtests (ran,
// passed, failed, skipped) and benchmarks per step, fails a step in which no
// test ran, counts a crashed test as unfinished, and lists what was skipped.
func TestGPUCheckSummary(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("gpu-check.sh needs bash: %v", err)
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("gpu-check.sh needs python3 for its tables: %v", err)
	}
	dir := t.TempDir()
	bundle, tools := filepath.Join(dir, "bundle"), filepath.Join(dir, "tools")
	for _, d := range []string{bundle, tools} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeExecutable(t, filepath.Join(bundle, "cuda.test"), fakeCudaTest)
	writeExecutable(t, filepath.Join(bundle, "engine.test"), fakeEngineTest)
	writeExecutable(t, filepath.Join(tools, "nvidia-smi"), fakeNvidiaSMI)
	// python3 without PyTorch: the torch steps fail at once, the tables run.
	writeExecutable(t, filepath.Join(tools, "python3"), "#!/bin/sh\ncase \"$1\" in */bench_torch*) echo 'no PyTorch here' >&2; exit 1;; esac\nexec "+python+" \"$@\"\n")

	calls := filepath.Join(dir, "calls")
	cmd := exec.Command(bash, "gpu-check.sh", bundle)
	cmd.Env = append(os.Environ(), "PATH="+tools+string(os.PathListSeparator)+os.Getenv("PATH"), "CALLS="+calls, "OUT=", "COLLEGIUM_GPU_CHECK=", "COLLEGIUM_CUDA_SYNC=")
	out, err := cmd.CombinedOutput()
	text := string(out)
	t.Logf("gpu-check.sh output:\n%s", text)
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Errorf("gpu-check.sh with failing steps: %v, want exit status 1", err)
	}
	for _, want := range []string{
		"gpu-check: GPU 0: NVIDIA H200, driver 550.54.15 (CUDA 12.4), compute capability 9.0, 143771 MiB",
		"gpu-check: 4 of 8 steps failed",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	summary := text[strings.LastIndex(text, "=== summary"):]
	for _, row := range []string{
		`test cuda.test, COLLEGIUM_CUDA_SYNC=1 +ok +\d+s +3/2/0/1 +2/2/0/0 +0\n`,
		`test cuda.test +FAILED \(exit 2\), 1 unfinished +\d+s +2/1/0/0 +0/0/0/0 +0\n`,
		`test engine.test on cuda:0 +FAILED \(no test ran\) +\d+s +0/0/0/0 +0/0/0/0 +0\n`,
		`bench collegium \(CUDA events\) +ok +\d+s +0/0/0/0 +0/0/0/0 +2\n`,
		`train step torch \(scripts/bench_torch_step.py\) +FAILED \(exit 1\) +\d+s +- +- +-\n`,
		`test cuda.test, COLLEGIUM_CUDA_SYNC=1: TestJITRegisters: jit_test.go:71: no JIT log on this driver\n`,
	} {
		if !regexp.MustCompile(row).MatchString(summary) {
			t.Errorf("summary lacks a row matching %q", row)
		}
	}

	got, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) != 3 {
		t.Fatalf("cuda.test ran %d times, want 3 (sync pass, pass, benchmarks): %q", len(lines), lines)
	}
	for i, prefix := range []string{"check=1 sync=1 args=-test.v", "check=1 sync= args=-test.v", "check=1 sync= args=-test.run ^$ -test.bench ."} {
		if !strings.HasPrefix(lines[i], prefix) {
			t.Errorf("cuda.test call %d: %q, want it to start with %q", i+1, lines[i], prefix)
		}
	}
}
