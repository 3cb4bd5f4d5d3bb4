package search

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// synthetic is a CE with a shared part of 1000 parameters, m members of a
// two-layer path (10→n→n→10: 20n + n² parameters) and V_1(n) = 1/n.
func synthetic() Problem {
	var ms, ns []int
	for i := 1; i <= 64; i++ {
		ms = append(ms, i)
		ns = append(ns, i)
	}
	return Problem{
		Params: func(m, n int) (int, error) { return 1000 + m*(20*n+n*n), nil },
		V:      CE(func(n int) (float64, float64) { return 1 / float64(n), 0.1 / float64(n) }),
		Ms:     ms, Ns: ns,
	}
}

// bruteForce finds the primal optimum by scanning the grid directly.
func bruteForce(p Problem, budget int) Point {
	best := Point{V: 1e300}
	for _, m := range p.Ms {
		for _, n := range p.Ns {
			params, _ := p.Params(m, n)
			v, se := p.V(m, n)
			if params <= budget && (v < best.V || v == best.V && params < best.Params) {
				best = Point{M: m, N: n, Params: params, V: v, VSE: se}
			}
		}
	}
	return best
}

func TestPrimalMatchesBruteForce(t *testing.T) {
	p := synthetic()
	r, err := Run(p, Primal, 1, 32, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := bruteForce(p, r.Baseline.Params)
	if r.Ranked[0] != want {
		t.Errorf("primal optimum %+v, want %+v", r.Ranked[0], want)
	}
	// V = 1/(mn) at fixed budget ~ m(20n + n²) favours many narrow members.
	if r.Ranked[0].M <= 1 || r.Ranked[0].V >= r.Baseline.V {
		t.Errorf("primal optimum %+v does not beat baseline %+v", r.Ranked[0], r.Baseline)
	}
	for i := 1; i < len(r.Ranked); i++ {
		if r.Ranked[i].V < r.Ranked[i-1].V || r.Ranked[i].Params > r.Budget {
			t.Fatalf("rank %d out of order or over budget: %+v", i, r.Ranked[i])
		}
	}
}

func TestDualMinimisesParams(t *testing.T) {
	p := synthetic()
	r, err := Run(p, Dual, 1, 32, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	best := r.Ranked[0]
	if best.V > r.Target || best.Params > r.Baseline.Params {
		t.Errorf("dual optimum %+v infeasible or worse than baseline %+v", best, r.Baseline)
	}
	for _, pt := range r.Grid {
		if pt.V <= r.Target && pt.Params < best.Params {
			t.Errorf("grid point %+v is feasible and smaller than %+v", pt, best)
		}
	}
}

func TestInfeasibleIsAnError(t *testing.T) {
	p := synthetic()
	if _, err := Run(p, Primal, 1, 32, 10, 0); !errors.Is(err, ErrInfeasible) {
		t.Errorf("budget below smallest model: err %v", err)
	}
	if _, err := Run(p, Dual, 1, 32, 0, 1e-9); !errors.Is(err, ErrInfeasible) {
		t.Errorf("unreachable target: err %v", err)
	}
	if _, err := Run(p, Objective("best"), 1, 32, 0, 0); err == nil {
		t.Error("unknown objective accepted")
	}
}

func TestParseBaseline(t *testing.T) {
	for name, want := range map[string][2]int{"1x128d": {1, 128}, "32x4d": {32, 4}, "3X64d": {3, 64}} {
		m, n, err := ParseBaseline(name)
		if err != nil || m != want[0] || n != want[1] {
			t.Errorf("%s: %d %d %v", name, m, n, err)
		}
	}
	for _, bad := range []string{"", "128", "1x128", "0x4d", "ax4d", "1x-2d"} {
		if _, _, err := ParseBaseline(bad); !errors.Is(err, ErrBadBaseline) {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestFrontierIsPareto(t *testing.T) {
	pts := []Point{{Params: 10, V: 1}, {Params: 20, V: 2}, {Params: 30, V: 0.5}, {Params: 30, V: 0.4}, {Params: 5, V: 3}}
	got := Frontier(pts)
	want := []Point{{Params: 5, V: 3}, {Params: 10, V: 1}, {Params: 30, V: 0.4}}
	if len(got) != len(want) {
		t.Fatalf("frontier %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("frontier %+v, want %+v", got, want)
		}
	}
}

func TestWriteFormats(t *testing.T) {
	r, err := Run(synthetic(), Primal, 1, 32, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	rows := Rows(r, 5)
	var buf bytes.Buffer
	if err := Write(&buf, JSON, rows); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	var lines int
	for sc.Scan() {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		for _, k := range []string{"m", "n", "params", "v", "baseline_params", "baseline_v"} {
			if _, ok := obj[k]; !ok {
				t.Errorf("json line lacks %s: %s", k, sc.Text())
			}
		}
		lines++
	}
	if lines != 5 {
		t.Errorf("%d json lines, want 5", lines)
	}
	buf.Reset()
	if err := Write(&buf, CSV, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 6 {
		t.Errorf("csv: %d records, %v", len(recs), err)
	}
	buf.Reset()
	if err := Write(&buf, Text, rows); err != nil || !strings.Contains(buf.String(), "params/P0") {
		t.Errorf("text: %v\n%s", err, buf.String())
	}
	if err := Write(&buf, Format("xml"), rows); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestPlotFrontier(t *testing.T) {
	r, err := Run(synthetic(), Dual, 1, 32, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"f.svg", "f.png"} {
		path := filepath.Join(dir, name)
		if err := PlotFrontier(r, "synthetic", path); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(path); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := PlotFrontier(r, "x", filepath.Join(dir, "f.pdf")); err == nil {
		t.Error("pdf accepted")
	}
}
