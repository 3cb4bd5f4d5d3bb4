package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collegium/collegium/pkg/bench"
)

func runCLI(args ...string) (string, error) {
	var out bytes.Buffer
	root := rootCmd()
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestBenchCLI(t *testing.T) {
	dir := t.TempDir()
	csvPath, plotPath := filepath.Join(dir, "r.csv"), filepath.Join(dir, "r.svg")
	out, err := runCLI("bench", "--case", "gconv:N=2,C=4,H=5,g=2", "--pass", "fwd,fwd+bwd", "--format", "json",
		"--peak-gflops", "10", "--target", "1ms", "--max-reps", "3", "--out", csvPath, "--plot", plotPath)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	rs, err := bench.ReadJSON(strings.NewReader(out))
	if err != nil || len(rs) != 6 {
		t.Fatalf("%d JSON results (want 6: a case and 2 equivalents × 2 passes), %v:\n%s", len(rs), err, out)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if back, err := bench.ReadCSV(f); err != nil || len(back) != len(rs) || back[0].Case != "gconv-N2-C4-H5-g2" {
		t.Errorf("CSV: %v, %v", back, err)
	}
	if st, err := os.Stat(plotPath); err != nil || st.Size() == 0 {
		t.Errorf("plot: %v", err)
	}
}

func TestBenchCLIErrors(t *testing.T) {
	t.Chdir(t.TempDir()) // train cases below must not leave runs/ here
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench"}, "nothing to run"},
		{[]string{"bench", "--case", "gconv:N=2,C=5,H=5,g=2"}, "not divisible"},
		{[]string{"bench", "--preset", "vgg"}, "unknown preset"},
		{[]string{"bench", "--preset", "ce-cpu", "--pass", "up"}, "unknown pass"},
		{[]string{"bench", "--device", "tpu", "--case", "conv:N=1,C=2,H=3"}, "unknown device"},
		{[]string{"bench", "--case", "conv:N=64,C=64,H=64", "--max-bytes", "1000", "--peak-gflops", "1"}, "needs"},
		{[]string{"bench", "--case", "conv:N=1,C=2,H=3", "--format", "xml", "--peak-gflops", "1", "--target", "1ms"}, "format"},
		{[]string{"bench", "--case", "conv:N=1,C=2,H=3", "--tf32"}, "no TF32 tensor cores"},
		// train checks its config before it opens the device or loads data.
		{[]string{"train", "--tf32", "--dtype", "float64"}, "does not apply to dtype float64"},
		{[]string{"train", "--tf32", "--epochs", "0"}, "epochs"},
		{[]string{"train", "--tf32"}, "device cpu has no TF32 tensor cores"},
	} {
		if out, err := runCLI(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v (want an error containing %q)\n%s", tc.args, err, tc.want, out)
		}
	}
}
