package datasets

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"
)

// numbered is a dataset of n 2×4×4 images; image i has label i and pixel
// values 100·i + position, so every batch entry can be traced back.
func numbered(n int) *Dataset {
	ds := &Dataset{Name: "numbered", Channels: 2, Height: 4, Width: 4, Classes: n,
		Mean: []float32{0.5, 0.25}, Std: []float32{1, 0.5}}
	for i := range n {
		for p := range ds.ImageSize() {
			ds.Images = append(ds.Images, float32(100*i+p))
		}
		ds.Labels = append(ds.Labels, i)
	}
	return ds
}

// batchCopy is a batch detached from the loader's buffers.
type batchCopy struct {
	images       []float32
	labels       []int
	epoch, index int
}

// take reads k batches, copying and releasing each one.
func take(t *testing.T, l *Loader, k int) []batchCopy {
	t.Helper()
	var out []batchCopy
	for range k {
		b, err := l.Next(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Images) != b.Size*32 || len(b.Labels) != b.Size || len(b.Targets) != b.Size {
			t.Fatalf("batch of %d has %d values, %d labels, %d targets", b.Size, len(b.Images), len(b.Labels), len(b.Targets))
		}
		for j, l := range b.Labels {
			if b.Targets[j] != float32(l) {
				t.Fatalf("target %g for label %d", b.Targets[j], l)
			}
		}
		out = append(out, batchCopy{slices.Clone(b.Images), slices.Clone(b.Labels), b.Epoch, b.Index})
		l.Release(b)
	}
	return out
}

func newTestLoader(t *testing.T, ds *Dataset, bs int, seed uint64, aug Augment, shuffle, dropLast bool) *Loader {
	t.Helper()
	l, err := NewLoader(t.Context(), ds, bs, seed, aug, shuffle, dropLast)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

var cifarLike = Augment{Pad: 1, Flip: true}

func TestLoaderDeterministic(t *testing.T) {
	ds := numbered(23)
	a := take(t, newTestLoader(t, ds, 5, 42, cifarLike, true, false), 15)
	b := take(t, newTestLoader(t, ds, 5, 42, cifarLike, true, false), 15)
	c := take(t, newTestLoader(t, ds, 5, 43, cifarLike, true, false), 15)
	sameAsC := true
	for i := range a {
		if !slices.Equal(a[i].images, b[i].images) || !slices.Equal(a[i].labels, b[i].labels) {
			t.Fatalf("batch %d differs between two loaders with one seed", i)
		}
		sameAsC = sameAsC && slices.Equal(a[i].labels, c[i].labels)
	}
	if sameAsC {
		t.Error("seeds 42 and 43 give the same order")
	}
}

func TestLoaderEpochs(t *testing.T) {
	ds := numbered(23)
	cases := []struct {
		name              string
		shuffle, dropLast bool
		perEpoch, last    int
	}{
		{"shuffled", true, false, 5, 3},
		{"in order", false, false, 5, 3},
		{"drop last", true, true, 4, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newTestLoader(t, ds, 5, 7, Augment{}, c.shuffle, c.dropLast)
			if l.BatchesPerEpoch() != c.perEpoch {
				t.Fatalf("%d batches per epoch, want %d", l.BatchesPerEpoch(), c.perEpoch)
			}
			var orders [][]int
			for epoch := range 3 {
				var order []int
				for i, b := range take(t, l, c.perEpoch) {
					if b.epoch != epoch || b.index != i {
						t.Fatalf("batch at epoch %d index %d says %d/%d", epoch, i, b.epoch, b.index)
					}
					for j, lbl := range b.labels {
						if b.images[j*32+5] != float32(100*lbl+5) {
							t.Fatalf("image and label disagree without augmentation")
						}
					}
					order = append(order, b.labels...)
				}
				if got := len(order) - (c.perEpoch-1)*5; got != c.last {
					t.Fatalf("last batch holds %d, want %d", got, c.last)
				}
				if len(slices.Compact(slices.Sorted(slices.Values(order)))) != len(order) {
					t.Fatalf("epoch %d repeats images: %v", epoch, order)
				}
				orders = append(orders, order)
			}
			ordered := slices.IsSorted(orders[0]) && slices.Equal(orders[0], orders[1])
			if ordered == c.shuffle {
				t.Errorf("shuffle %v but epochs %v", c.shuffle, orders[:2])
			}
		})
	}
}

func TestLoaderAugments(t *testing.T) {
	ds := numbered(8)
	plain := take(t, newTestLoader(t, ds, 8, 1, Augment{}, false, false), 1)[0]
	aug := take(t, newTestLoader(t, ds, 8, 1, Augment{Pad: 2, Flip: true}, false, false), 1)[0]
	if !slices.Equal(plain.labels, aug.labels) {
		t.Fatal("augmentation changed labels")
	}
	changed := 0
	fill := []float32{-0.5, -0.5}
	for i := range 8 {
		img := aug.images[i*32 : (i+1)*32]
		if !slices.Equal(img, plain.images[i*32:(i+1)*32]) {
			changed++
		}
		for p, v := range img {
			if v != fill[p/16] && (int(v)/100 != i || v < 0) {
				t.Fatalf("image %d holds %g, neither its own pixel nor padding", i, v)
			}
		}
	}
	if changed < 4 {
		t.Errorf("only %d of 8 images changed by crop and flip", changed)
	}
}

func TestLoaderResume(t *testing.T) {
	ds := numbered(23)
	const total = 13
	want := take(t, newTestLoader(t, ds, 5, 9, cifarLike, true, false), total)
	for _, k := range []int{0, 3, 5, 9} {
		first := newTestLoader(t, ds, 5, 9, cifarLike, true, false)
		got := take(t, first, k)
		saved, err := json.Marshal(first.State())
		if err != nil {
			t.Fatal(err)
		}
		first.Close()
		var st LoaderState
		if err := json.Unmarshal(saved, &st); err != nil {
			t.Fatal(err)
		}
		resumed := newTestLoader(t, ds, 5, 9, cifarLike, true, false)
		take(t, resumed, 2) // the fresh loader has moved on and prefetched
		if err := resumed.Seek(st); err != nil {
			t.Fatal(err)
		}
		got = append(got, take(t, resumed, total-k)...)
		for i := range want {
			if !slices.Equal(got[i].images, want[i].images) || got[i].epoch != want[i].epoch || got[i].index != want[i].index {
				t.Fatalf("stopped after %d: batch %d differs from the uninterrupted run", k, i)
			}
		}
	}
}

func TestLoaderCloseAndCancel(t *testing.T) {
	before := runtime.NumGoroutine()
	ds := numbered(10)
	l, err := NewLoader(context.Background(), ds, 2, 1, Augment{}, true, false)
	if err != nil {
		t.Fatal(err)
	}
	take(t, l, 1)
	l.Close()
	l.Close()
	if _, err := l.Next(t.Context()); !errors.Is(err, ErrLoaderClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
	if err := l.Seek(LoaderState{Seed: 1, BatchSize: 2}); !errors.Is(err, ErrLoaderClosed) {
		t.Fatalf("Seek after Close: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	l2, err := NewLoader(ctx, ds, 2, 1, Augment{}, true, false)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-l2.done
	if _, err := l2.Next(t.Context()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next after cancel: %v", err)
	}
	l2.Close()

	waitCtx, stop := context.WithCancel(context.Background())
	stop()
	l3 := newTestLoader(t, ds, 2, 1, Augment{}, true, false)
	if _, err := l3.Next(waitCtx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Next with a cancelled call context: %v", err)
	}
	l3.Close()

	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after closing, %d before", n, before)
	}
}

func TestLoaderErrors(t *testing.T) {
	ds := numbered(4)
	for _, c := range []struct {
		name     string
		ds       *Dataset
		bs       int
		aug      Augment
		dropLast bool
		want     string
	}{
		{"nil dataset", nil, 2, Augment{}, false, "empty dataset"},
		{"zero batch", ds, 0, Augment{}, false, "batch size 0"},
		{"negative pad", ds, 2, Augment{Pad: -1}, false, "padding -1"},
		{"no full batch", ds, 5, Augment{}, true, "4 images make no full batch of 5"},
		{"inconsistent", &Dataset{Channels: 1, Height: 2, Width: 2, Labels: []int{0}, Images: []float32{1}}, 1, Augment{}, false, "inconsistent"},
	} {
		_, err := NewLoader(t.Context(), c.ds, c.bs, 1, c.aug, true, c.dropLast)
		wantErr(t, err, c.want)
	}
	l := newTestLoader(t, ds, 2, 1, Augment{}, true, false)
	wantErr(t, l.Seek(LoaderState{Seed: 2, BatchSize: 2}), "seed 2")
	wantErr(t, l.Seek(LoaderState{Seed: 1, BatchSize: 2, Batch: 2}), "outside epochs of 2 batches")
}

func BenchmarkLoaderCIFARBatch(b *testing.B) {
	ds := &Dataset{Name: "bench", Channels: 3, Height: 32, Width: 32, Classes: 10,
		Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1},
		Images: make([]float32, 1024*3072), Labels: make([]int, 1024)}
	l, err := NewLoader(b.Context(), ds, 128, 1, Augment{Pad: 4, Flip: true}, true, true)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	for b.Loop() {
		batch, err := l.Next(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		l.Release(batch)
	}
}
