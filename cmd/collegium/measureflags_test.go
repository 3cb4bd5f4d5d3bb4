package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestMeasureFlagsRefuseBadValues: every new measurement and search flag
// names what is wrong before anything is measured.
func TestMeasureFlagsRefuseBadValues(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"search", "--samples", "2"}, "--samples 2"},
		{[]string{"search", "--samples", "-1"}, "--samples -1"},
		{[]string{"search", "--rel-se", "0"}, "--rel-se"},
		{[]string{"search", "--rel-se", "1.5"}, "--rel-se 1.5"},
		{[]string{"search", "--min-samples", "100", "--max-samples", "50"}, "max samples 50 below min 100"},
		{[]string{"search", "--sample-block", "0"}, "block 0"},
		{[]string{"search", "--precision", "float16"}, `--precision "float16"`},
		{[]string{"search", "--budget-tolerance", "-0.1"}, "--budget-tolerance -0.1"},
		{[]string{"search", "--measure-size", "-4"}, "--measure-size -4"},
		{[]string{"search", "--family", "mlp", "--dataset", "mnist", "--measure-size", "16"}, "--measure-size is for conv nets"},
		{[]string{"search", "--family", "resnext29", "--inputs", "fashion-mnist"}, "need a 1×28×28 network"},
		{[]string{"search", "--inputs", "/nonexistent/dir"}, "want random, mnist, fashion-mnist or a directory"},
		{[]string{"members", "--widths", "0"}, "every value must be ≥ 1"},
		{[]string{"members", "--rel-se", "-1"}, "--rel-se"},
		{[]string{"ntk", "--samples", "1"}, "--samples 1"},
	} {
		_, err := runCLI(append(c.args, "--no-cache")...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want it to mention %q", c.args, err, c.want)
		}
	}
}

// TestSearchJSONKeepsItsFields: the JSON rows keep every field they had
// (others read them) and add the law, V's error and the V model.
func TestSearchJSONKeepsItsFields(t *testing.T) {
	out, err := runCLI("search", "--family", "mlp", "--dataset", "mnist", "--depth", "1", "--baseline", "1x32d", "--max-m", "4",
		"--inputs", "random", "--samples", "8", "--input-count", "2", "--cache", t.TempDir(), "--format", "json", "--top", "2")
	if err != nil {
		t.Fatalf("search: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d JSON lines, want 2:\n%s", len(lines), out)
	}
	for _, l := range lines {
		var row map[string]any
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		for _, k := range []string{"rank", "objective", "name", "m", "n", "params", "v", "params_ratio", "v_ratio", "baseline", "baseline_params", "baseline_v",
			"v_se", "baseline_v_se", "law", "v_model"} {
			if _, ok := row[k]; !ok {
				t.Errorf("row lacks %q: %s", k, l)
			}
		}
	}
}
