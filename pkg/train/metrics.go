package train

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/collegium/collegium/internal/atomicfile"
)

// Metrics is one epoch's record in metrics.jsonl and metrics.csv.
type Metrics struct {
	Epoch     int     `json:"epoch"`
	Step      int     `json:"step"`
	TrainLoss float64 `json:"train_loss"`
	TestLoss  float64 `json:"test_loss"`
	// TestAcc is the top-1 accuracy as a fraction.
	TestAcc float64 `json:"test_acc"`
	// TestTop5 is the top-5 accuracy, only with more than 10 classes.
	TestTop5   *float64 `json:"test_top5,omitempty"`
	LR         float64  `json:"lr"`
	ImagesPerS float64  `json:"images_per_s"`
	WallS      float64  `json:"wall_s"`
}

// File names inside a run directory.
const (
	configFile     = "config.yaml"
	metricsJSONL   = "metrics.jsonl"
	metricsCSV     = "metrics.csv"
	logFile        = "train.log"
	checkpointJSON = "checkpoint.json"
	plotName       = "curves"
)

// writeMetrics rewrites dir's metrics.jsonl and metrics.csv from history.
func writeMetrics(dir string, history []Metrics) error {
	var jl bytes.Buffer
	for _, m := range history {
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("encode metrics: %w", err)
		}
		jl.Write(b)
		jl.WriteByte('\n')
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, metricsJSONL), jl.Bytes()); err != nil {
		return err
	}
	var cb bytes.Buffer
	w := csv.NewWriter(&cb)
	w.Write([]string{"epoch", "step", "train_loss", "test_loss", "test_acc", "test_top5", "lr", "images_per_s", "wall_s"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, m := range history {
		top5 := ""
		if m.TestTop5 != nil {
			top5 = f(*m.TestTop5)
		}
		w.Write([]string{strconv.Itoa(m.Epoch), strconv.Itoa(m.Step), f(m.TrainLoss), f(m.TestLoss), f(m.TestAcc), top5, f(m.LR), f(m.ImagesPerS), f(m.WallS)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("encode metrics csv: %w", err)
	}
	return atomicfile.WriteBytes(filepath.Join(dir, metricsCSV), cb.Bytes())
}

// ReadMetrics reads the per-epoch records of the run in dir.
func ReadMetrics(dir string) ([]Metrics, error) {
	path := filepath.Join(dir, metricsJSONL)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read metrics of run %s: %w", dir, err)
	}
	defer f.Close()
	var out []Metrics
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var m Metrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}
