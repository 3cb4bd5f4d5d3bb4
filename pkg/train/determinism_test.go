package train

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/internal/synth"
	"github.com/collegium/collegium/pkg/device/cpu"
	"github.com/collegium/collegium/pkg/models"
)

// determinismWorkers are the worker counts each family trains with: the
// results must not depend on how many goroutines share the work.
var determinismWorkers = []int{1, 2, 8}

// TestDeterministicAcrossWorkers trains each family with GOMAXPROCS (and so
// the CPU device's worker count) 1, 2 and 8, and expects bit-identical
// metrics and checkpoint tensors from every run.
func TestDeterministicAcrossWorkers(t *testing.T) {
	for _, tc := range []struct {
		spec  models.Spec
		input models.Input
		batch int
	}{
		{models.Spec{Family: models.MLP, Members: 4, Width: 16, Depth: 3}, models.Input{}, 32},
		{models.Spec{Family: models.ConvNet, Members: 4, Width: 8, Depth: 3}, models.Input{}, 16},
		{models.Spec{Family: models.ResNeXt29, Members: 2, Width: 4, Depth: 11, Widen: 1}, models.Input{}, 8},
		{models.Spec{Family: models.ResNeXt50, Members: 2, Width: 2}, models.Input{Channels: 1, Height: 32, Width: 32}, 4},
	} {
		t.Run(string(tc.spec.Family), func(t *testing.T) {
			var first runFiles
			for i, workers := range determinismWorkers {
				got := trainWithWorkers(t, tc.spec, tc.input, tc.batch, workers)
				if i == 0 {
					first = got
					continue
				}
				first.requireEqual(t, fmt.Sprintf("GOMAXPROCS %d vs %d", determinismWorkers[0], workers), got)
			}
		})
	}
}

// runFiles are the bytes of a finished run that must not depend on the
// machine's scheduling: its metrics without the timings, and its last
// checkpoint's tensors.
type runFiles struct {
	metrics []Metrics
	tensors []byte
}

func (a runFiles) requireEqual(t *testing.T, what string, b runFiles) {
	t.Helper()
	sameCurves(t, what, a.metrics, b.metrics)
	if !bytes.Equal(a.tensors, b.tensors) {
		t.Errorf("%s: checkpoint tensors differ (%d vs %d bytes)", what, len(a.tensors), len(b.tensors))
	}
}

// trainWithWorkers trains spec for one epoch of three steps on the synthetic set
// (resized to input when given) with GOMAXPROCS workers and returns what
// the run wrote.
func trainWithWorkers(t *testing.T, spec models.Spec, input models.Input, batch, workers int) runFiles {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(workers))
	dev := cpu.New(0)
	defer dev.Close()
	c := testConfig(t.TempDir())
	c.Model, c.Epochs, c.BatchSize, c.EvalBatchSize = spec, 1, batch, 20
	c.Optimizer.LR = 0.01
	train, test := synth.Dataset(3*batch, 1), synth.Dataset(20, 2)
	if input != (models.Input{}) {
		train, test = resized(train, input), resized(test, input)
	}
	res, err := Run(context.Background(), c, Options{Device: dev, Data: Datasets{Train: train, Test: test}, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	ck, err := readCheckpoint(c.Out)
	if err != nil {
		t.Fatal(err)
	}
	tensors, err := os.ReadFile(filepath.Join(c.Out, ck.Tensors))
	if err != nil {
		t.Fatal(err)
	}
	return runFiles{metrics: res.History, tensors: tensors}
}

// resized returns d's images scaled to in's height and width by nearest
// neighbour, repeated over in's channels.
func resized(d *datasets.Dataset, in models.Input) *datasets.Dataset {
	out := *d
	out.Channels, out.Height, out.Width = in.Channels, in.Height, in.Width
	out.Mean, out.Std = make([]float32, in.Channels), make([]float32, in.Channels)
	for c := range out.Std {
		out.Std[c] = 1
	}
	n := len(d.Labels)
	out.Images = make([]float32, n*in.Size())
	for i := range n {
		src := d.Images[i*d.Height*d.Width:]
		dst := out.Images[i*in.Size():]
		for c := range in.Channels {
			for y := range in.Height {
				for x := range in.Width {
					dst[(c*in.Height+y)*in.Width+x] = src[(y*d.Height/in.Height)*d.Width+x*d.Width/in.Width]
				}
			}
		}
	}
	return &out
}
