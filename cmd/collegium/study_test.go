package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStudyRefusesBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"study", "dynamics", "--family", "resnext29"}, `--family "resnext29"`},
		{[]string{"study", "dynamics", "--probe", "1"}, "--probe 1"},
		{[]string{"study", "dynamics", "--epochs", "0"}, "--epochs 0"},
		{[]string{"study", "accuracy", "--tolerance", "2"}, "--tolerance 2"},
		{[]string{"study", "accuracy", "--baseline", "x"}, "bad baseline"},
		{[]string{"study", "accuracy", "--train-images", "-5"}, "--train-images -5"},
		{[]string{"study", "coverage", "--reps", "3"}, "--reps 3"},
		{[]string{"study", "frontier", "--seeds", "2,2"}, "--seeds [2 2]"},
		{[]string{"study", "frontier", "--members", "4,0"}, "--members [4 0]"},
		{[]string{"study", "frontier", "--baseline", "3y64"}, "bad baseline"},
		{[]string{"study", "frontier", "--budget-tolerance", "-0.1"}, "--budget-tolerance -0.1"},
		{[]string{"study", "frontier", "--family", "vgg"}, `family "vgg"`},
		{[]string{"study", "frontier", "--objective", "both"}, `--objective "both"`},
		{[]string{"study", "frontier", "--objective", "dual"}, "--objective dual needs --budgets"},
		{[]string{"study", "frontier", "--budgets", "0.5"}, "--budgets is for --objective dual"},
		{[]string{"study", "frontier", "--objective", "dual", "--budgets", "0.5,1"}, "--budgets [0.5 1]: 1: want fractions of P0 in (0, 1)"},
		{[]string{"study", "frontier", "--objective", "dual", "--budgets", "0.5", "--budget-tolerance", "0.02"}, "--budget-tolerance is for --objective primal"},
		{[]string{"study", "frontier", "--objective", "dual", "--budgets", "0.5", "--plot", "x.svg"}, "the dual has no figure"},
		{[]string{"study", "frontier", "--objective", "dual", "--budgets", "NaN"}, "--budgets [NaN]: NaN: want fractions of P0 in (0, 1)"},
	} {
		_, err := runCLI(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want it to mention %q", c.args, err, c.want)
		}
	}
}

func TestStudyCoverageCLI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	out, err := runCLI("study", "coverage", "--reps", "10", "--json", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "| pareto(α=3) |") || !strings.Contains(out, "jackknife coverage") {
		t.Errorf("coverage table:\n%s", out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rs []map[string]any
	if err := json.Unmarshal(b, &rs); err != nil || len(rs) != 18 {
		t.Errorf("coverage JSON: %d results, %v", len(rs), err)
	}
}

// TestStudyFrontierCLI measures a small MLP's frontier from the command
// line and writes its table, JSON and figure.
func TestStudyFrontierCLI(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI("study", "frontier", "--family", "mlp", "--dataset", "mnist", "--depth", "1", "--baseline", "1x32d", "--members", "2,4",
		"--inputs", "random", "--samples", "8", "--no-cache", "--json", filepath.Join(dir, "f.json"), "--plot", filepath.Join(dir, "f.png"))
	if err != nil {
		t.Fatalf("study frontier: %v\n%s", err, out)
	}
	if !strings.Contains(out, "| 1 | 32 | 1.000 |") || !strings.Contains(out, "Verdict: the seed ranges") {
		t.Errorf("frontier table:\n%s", out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "f.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Points []struct{ M, N int }
		Seeds  []uint64
	}
	if err := json.Unmarshal(b, &st); err != nil || len(st.Points) != 3 || st.Seeds[1] != 2 {
		t.Errorf("frontier JSON: %+v, %v", st, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "f.png")); err != nil || fi.Size() == 0 {
		t.Errorf("figure: %v", err)
	}
}

// TestStudyFrontierDualCLI measures a small MLP's dual from the command
// line and writes its table and JSON.
func TestStudyFrontierDualCLI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.json")
	out, err := runCLI("study", "frontier", "--objective", "dual", "--budgets", "0.3,0.6", "--family", "mlp", "--dataset", "mnist", "--depth", "1",
		"--baseline", "1x32d", "--members", "1,2,4", "--inputs", "random", "--samples", "8", "--no-cache", "--json", path)
	if err != nil {
		t.Fatalf("study frontier --objective dual: %v\n%s", err, out)
	}
	if !strings.Contains(out, "| 1 | 32 | 1.000 |") || !strings.Contains(out, "Budgets measured (·P0): 0.3, 0.6") || !strings.Contains(out, "Verdict: the seed ranges") {
		t.Errorf("dual table:\n%s", out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Budgets []int
		Points  []struct{ M, N, Params int }
	}
	if err := json.Unmarshal(b, &st); err != nil || len(st.Budgets) != 2 || len(st.Points) == 0 || st.Points[len(st.Points)-1].Params > st.Budgets[1] {
		t.Errorf("dual JSON: %+v, %v", st, err)
	}
}
