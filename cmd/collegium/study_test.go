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
