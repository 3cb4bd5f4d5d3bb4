package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/collegium/collegium/pkg/ntk"
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
		{[]string{"search", "--inputs", "/nonexistent/dir"}, "want random, mnist, fashion-mnist, auto or a directory"},
		{[]string{"members", "--widths", "0"}, "every value must be ≥ 1"},
		{[]string{"members", "--rel-se", "-1"}, "--rel-se"},
		{[]string{"ntk", "--samples", "1"}, "--samples 1"},
		{[]string{"search", "--bn", "frozen"}, `--bn "frozen"`},
		{[]string{"search", "--input-count", "1"}, "--input-count 1"},
		{[]string{"search", "--rerank", "-1"}, "--rerank -1"},
		{[]string{"search", "--members-law", "sometimes", "--family", "mlp", "--dataset", "mnist", "--samples", "3", "--inputs", "random"}, `members law "sometimes"`},
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

// TestBNModeDefault: networks with BN are measured in train mode unless
// --bn eval says otherwise; networks without BN in eval mode.
func TestBNModeDefault(t *testing.T) {
	for _, c := range []struct {
		bn, family string
		want       bool
	}{{"", "resnext29", true}, {"", "resnext50", true}, {"", "mlp", false}, {"eval", "resnext29", false}, {"train", "mlp", true}} {
		m := measureFlags{minSamples: 64, maxSamples: 512, block: 32, relSE: 0.1, precision: "float32", bn: c.bn}
		cfg := ntk.ScanConfig{Inputs: 2}
		if err := m.apply(&cfg, c.family); err != nil || cfg.BatchStats != c.want {
			t.Errorf("--bn %q for %s: batch stats %v (%v), want %v", c.bn, c.family, cfg.BatchStats, err, c.want)
		}
	}
}
