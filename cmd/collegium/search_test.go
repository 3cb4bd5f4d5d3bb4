package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSearchWarnsOnGridEdgeAndPrintsRegion: an MLP search whose optimum
// --max-m cuts off says so on a line of its own, naming the flag, prints
// the region of candidates indistinguishable within errors, and carries
// both as JSON fields.
func TestSearchWarnsOnGridEdgeAndPrintsRegion(t *testing.T) {
	args := []string{"search", "--family", "mlp", "--dataset", "mnist", "--depth", "1", "--baseline", "1x32d", "--max-m", "2", "--max-n", "24",
		"--inputs", "random", "--samples", "8", "--input-count", "2", "--no-cache", "--top", "3"}
	out, err := runCLI(args...)
	if err != nil {
		t.Fatalf("search: %v\n%s", err, out)
	}
	var warning, region string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "warning: optimum on the grid's edge at m = 2 = --max-m") {
			warning = l
		}
		if strings.HasPrefix(l, "indistinguishable within errors: ") || strings.HasPrefix(l, "optimum resolved") {
			region = l
		}
	}
	if !strings.Contains(warning, "rerun with a larger --max-m") || region == "" {
		t.Errorf("text output lacks the edge warning or the region line:\n%s", out)
	}
	js, err := runCLI(append(args, "--format", "json")...)
	if err != nil {
		t.Fatalf("search --format json: %v\n%s", err, js)
	}
	var rows []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(js), "\n") {
		var row map[string]any
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		rows = append(rows, row)
	}
	first := rows[0]
	if first["m"] != 2.0 {
		t.Fatalf("optimum m = %v, want 2 (the --max-m edge):\n%s", first["m"], js)
	}
	edge, _ := first["edge"].([]any)
	if len(edge) == 0 || !strings.Contains(edge[0].(string), "--max-m") || first["indistinguishable"] != true {
		t.Errorf("optimum row: edge %v, indistinguishable %v", first["edge"], first["indistinguishable"])
	}
	reg, _ := first["region"].(map[string]any)
	if c, _ := reg["count"].(float64); c < 1 || reg["m_max"] != 2.0 {
		t.Errorf("optimum row: region %v", first["region"])
	}
	for _, r := range rows {
		if _, ok := r["edge"].([]any); !ok {
			t.Errorf("row %v lacks the edge list", r["name"])
		}
	}
}
