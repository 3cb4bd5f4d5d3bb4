package datasets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// benchTree returns an ImageNet-like tree of 8 classes × 32 JPEGs of
// 500×375 (ImageNet's most common size), quality 90: in
// $COLLEGIUM_BENCH_IMAGES when set (written once, so a peer can read the
// same files), else in a temporary directory.
func benchTree(b *testing.B) string {
	dir := os.Getenv("COLLEGIUM_BENCH_IMAGES")
	if dir == "" {
		dir = b.TempDir()
	}
	if _, err := os.Stat(filepath.Join(dir, "train", "c7", "img31.JPEG")); err == nil {
		return dir
	}
	for c := range 8 {
		for i := range 32 {
			writeJPEG(b, filepath.Join(dir, "train", fmt.Sprintf("c%d", c), fmt.Sprintf("img%d.JPEG", i)), noisyImage(500, 375, uint64(32*c+i)))
		}
	}
	return dir
}

// BenchmarkImageLoader times the training loader alone: JPEG decode,
// random-resized crop to 224, flip and the reference colour jitter and
// lighting, batches of 32, one worker per GOMAXPROCS. It reports images/s.
func BenchmarkImageLoader(b *testing.B) {
	for _, aug := range []struct {
		name string
		a    ImageAugment
	}{{"crop+flip", ImageAugment{Flip: true}}, {"crop+flip+jitter", ImageAugment{Flip: true, Jitter: 0.4}}, {"reference", ReferenceImageAugment}} {
		b.Run(aug.name, func(b *testing.B) {
			f, err := ReadImageFolder(filepath.Join(benchTree(b), "train"))
			if err != nil {
				b.Fatal(err)
			}
			l, err := NewImageLoader(context.Background(), f, ImageLoaderConfig{BatchSize: 32, Size: 224, Seed: 1, Train: true, Augment: aug.a, DropLast: true})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			start := time.Now()
			b.ResetTimer()
			for range b.N {
				batch, err := l.Next(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				l.Release(batch)
			}
			b.ReportMetric(float64(32*b.N)/time.Since(start).Seconds(), "images/s")
		})
	}
}

// BenchmarkReadImageNet times indexing and checking a tree of 100 classes
// × 100 small JPEGs in train/ and 10 in val/ (11,000 files, in the page
// cache after the first pass): ReadImageNet, which lists every directory
// and reads the first bytes of every file. It reports files/s.
func BenchmarkReadImageNet(b *testing.B) {
	dir := b.TempDir()
	jpeg := filepath.Join(dir, "one.JPEG")
	writeJPEG(b, jpeg, noisyImage(16, 12, 1))
	data, err := os.ReadFile(jpeg)
	if err != nil {
		b.Fatal(err)
	}
	for _, split := range []struct {
		name string
		per  int
	}{{"train", 100}, {"val", 10}} {
		for c := range 100 {
			class := filepath.Join(dir, "tree", split.name, fmt.Sprintf("n%08d", c))
			if err := os.MkdirAll(class, 0o755); err != nil {
				b.Fatal(err)
			}
			for i := range split.per {
				if err := os.WriteFile(filepath.Join(class, fmt.Sprintf("%d.JPEG", i)), data, 0o644); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	start := time.Now()
	b.ResetTimer()
	for range b.N {
		if _, _, err := ReadImageNet(context.Background(), filepath.Join(dir, "tree")); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(11000*b.N)/time.Since(start).Seconds(), "files/s")
}
