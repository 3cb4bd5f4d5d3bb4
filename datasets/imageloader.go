package datasets

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// ImageLoaderConfig configures an ImageLoader.
type ImageLoaderConfig struct {
	// BatchSize is the global batch (see Shard).
	BatchSize int
	// Size is the side of the square output images (224 for ImageNet).
	Size int
	// Resize is the evaluation transform's shorter side before the
	// centre crop (256 for ImageNet); unused when training.
	Resize int
	Seed   uint64
	// Train shuffles every epoch and takes random-resized crops with the
	// Augment flips and colour changes; otherwise images come in order,
	// resized and centre-cropped.
	Train   bool
	Augment ImageAugment
	// Workers is the number of decoding goroutines (0: GOMAXPROCS).
	Workers int
	// Prefetch is the number of batches prepared ahead (0: 2).
	Prefetch int
	// DropLast skips a last batch smaller than BatchSize.
	DropLast bool
}

// ImageLoader serves batches of an ImageFolder, decoded and transformed by
// a pool of goroutines ahead of the consumer, epoch after epoch without
// end. Every random draw of an image (crop, flip, colour) is a function of
// (seed, epoch, position in the epoch) alone, and the order of an epoch of
// (seed, epoch), so the batches do not depend on the number of workers and
// a loader moved by Seek serves what an uninterrupted one would. Images are
// float32 3×Size×Size, normalised by ImageNet's mean and std. Next,
// Release, State, Seek, Shard and Close are for one goroutine.
type ImageLoader struct {
	f        *ImageFolder
	c        ImageLoaderConfig
	perEpoch int
	shard    shard

	ctx    context.Context
	free   chan *Batch
	out    chan *pendingBatch
	cancel context.CancelFunc
	done   sync.WaitGroup
	next   LoaderState
	closed bool
}

// pendingBatch is a batch whose images the workers are filling.
type pendingBatch struct {
	b         *Batch
	remaining atomic.Int32
	ready     chan struct{}
	errs      []error
}

// imageJob is one image to decode into slot of a pending batch.
type imageJob struct {
	pb         *pendingBatch
	slot       int
	file       string
	label      int
	epoch, pos int
}

// NewImageLoader starts a loader at epoch 0; cancelling ctx or calling
// Close stops its goroutines.
func NewImageLoader(ctx context.Context, f *ImageFolder, c ImageLoaderConfig) (*ImageLoader, error) {
	if c.Resize == 0 {
		c.Resize = c.Size
	}
	switch {
	case f == nil || f.Len() == 0:
		return nil, errors.New("image loader: empty image folder")
	case c.BatchSize < 1:
		return nil, fmt.Errorf("image loader: batch size %d < 1", c.BatchSize)
	case c.Workers < 0 || c.Prefetch < 0:
		return nil, fmt.Errorf("image loader: workers %d and prefetch %d must be ≥ 0", c.Workers, c.Prefetch)
	case c.Augment.Jitter < 0 || c.Augment.Jitter >= 1 || c.Augment.Lighting < 0:
		return nil, fmt.Errorf("image loader: jitter %v must be in [0, 1), lighting %v ≥ 0", c.Augment.Jitter, c.Augment.Lighting)
	}
	if err := checkSize(c.Size, c.Resize); err != nil {
		return nil, fmt.Errorf("image loader: %w", err)
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Prefetch == 0 {
		c.Prefetch = 2
	}
	perEpoch := f.Len() / c.BatchSize
	if !c.DropLast && f.Len()%c.BatchSize != 0 {
		perEpoch++
	}
	if perEpoch == 0 {
		return nil, fmt.Errorf("image loader: %d images make no full batch of %d", f.Len(), c.BatchSize)
	}
	l := &ImageLoader{
		f: f, c: c, perEpoch: perEpoch, shard: shard{size: 1}, ctx: ctx,
		free: make(chan *Batch, c.Prefetch+2),
		next: LoaderState{Seed: c.Seed, BatchSize: c.BatchSize},
	}
	l.start()
	return l, nil
}

// BatchesPerEpoch returns the number of batches in one epoch.
func (l *ImageLoader) BatchesPerEpoch() int { return l.perEpoch }

// Next returns the next batch, waiting for the workers if they are behind.
// An image that cannot be read or decoded is an error naming its file.
func (l *ImageLoader) Next(ctx context.Context) (*Batch, error) {
	if l.closed {
		return nil, ErrLoaderClosed
	}
	var pb *pendingBatch
	select {
	case p, ok := <-l.out:
		if !ok {
			return nil, fmt.Errorf("image loader stopped: %w", context.Cause(l.ctx))
		}
		pb = p
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case <-pb.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.ctx.Done():
		return nil, fmt.Errorf("image loader stopped: %w", context.Cause(l.ctx))
	}
	l.next = l.after(pb.b.Epoch, pb.b.Index)
	if err := errors.Join(pb.errs...); err != nil {
		l.Release(pb.b)
		return nil, err
	}
	return pb.b, nil
}

// Release hands a batch's buffers back for reuse.
func (l *ImageLoader) Release(b *Batch) {
	select {
	case l.free <- b:
	default:
	}
}

// State returns the position of the next batch Next will return.
func (l *ImageLoader) State() LoaderState { return l.next }

// Seek moves the loader so that Next returns the batch at st (from a
// loader with the same seed and batch size).
func (l *ImageLoader) Seek(st LoaderState) error {
	if l.closed {
		return ErrLoaderClosed
	}
	if err := checkSeek(st, l.c.Seed, l.c.BatchSize, l.perEpoch); err != nil {
		return err
	}
	l.stop()
	l.next = st
	l.start()
	return nil
}

// Shard makes every batch from the next on hold only part rank of size
// equal parts of the global batch (see Loader.Shard).
func (l *ImageLoader) Shard(rank, size int) error {
	if l.closed {
		return ErrLoaderClosed
	}
	if err := checkShard(rank, size, l.c.BatchSize); err != nil {
		return err
	}
	l.stop()
	l.shard = shard{rank: rank, size: size}
	l.start()
	return nil
}

// Close stops the goroutines and waits for them. It is safe to call more
// than once.
func (l *ImageLoader) Close() {
	if l.closed {
		return
	}
	l.stop()
	l.closed = true
}

func (l *ImageLoader) after(epoch, index int) LoaderState {
	return positionAfter(l.c.Seed, l.c.BatchSize, l.perEpoch, epoch, index)
}

func (l *ImageLoader) start() {
	ctx, cancel := context.WithCancel(l.ctx)
	l.cancel = cancel
	l.out = make(chan *pendingBatch, l.c.Prefetch)
	jobs := make(chan imageJob, l.c.Workers)
	l.done.Add(1 + l.c.Workers)
	go l.produce(ctx, jobs, l.out, l.next)
	for range l.c.Workers {
		go l.work(jobs)
	}
}

// stop ends the goroutines and keeps the batch buffers for reuse.
func (l *ImageLoader) stop() {
	l.cancel()
	l.done.Wait()
	for pb := range l.out {
		l.Release(pb.b)
	}
}

// produce queues the batches from position st on, and their images as
// jobs, until ctx ends.
func (l *ImageLoader) produce(ctx context.Context, jobs chan<- imageJob, out chan<- *pendingBatch, st LoaderState) {
	defer l.done.Done()
	defer close(out)
	defer close(jobs)
	src := rand.NewPCG(0, 0)
	order := make([]int, l.f.Len())
	for epoch := st.Epoch; ; epoch++ {
		if l.c.Train {
			seedAt(src, l.c.Seed, streamPermutation, uint64(epoch))
			permute(src, order)
		} else {
			for i := range order {
				order[i] = i
			}
		}
		first := 0
		if epoch == st.Epoch {
			first = st.Batch
		}
		for index := first; index < l.perEpoch; index++ {
			start := index * l.c.BatchSize
			size := min(l.c.BatchSize, l.f.Len()-start)
			lo, hi := l.shard.span(size)
			pb := &pendingBatch{b: l.batch(), ready: make(chan struct{}), errs: make([]error, hi-lo)}
			b := pb.b
			b.Size, b.Epoch, b.Index = hi-lo, epoch, index
			is := 3 * l.c.Size * l.c.Size
			b.Images, b.Targets, b.Labels = b.Images[:(hi-lo)*is], b.Targets[:hi-lo], b.Labels[:hi-lo]
			pb.remaining.Store(int32(hi - lo))
			if hi == lo {
				close(pb.ready)
			}
			select {
			case out <- pb:
			case <-ctx.Done():
				return
			}
			for j := lo; j < hi; j++ {
				i := order[start+j]
				job := imageJob{pb: pb, slot: j - lo, file: l.f.Files[i], label: l.f.Labels[i], epoch: epoch, pos: start + j}
				select {
				case jobs <- job:
				case <-ctx.Done():
					return
				}
			}
		}
	}
}

// work decodes and transforms images until the jobs end.
func (l *ImageLoader) work(jobs <-chan imageJob) {
	defer l.done.Done()
	src := rand.NewPCG(0, 0)
	var s imageScratch
	for job := range jobs {
		b, is := job.pb.b, 3*l.c.Size*l.c.Size
		dst := b.Images[job.slot*is : (job.slot+1)*is]
		b.Labels[job.slot], b.Targets[job.slot] = job.label, float32(job.label)
		seedAt(src, l.c.Seed, streamImage, uint64(job.epoch), uint64(job.pos))
		job.pb.errs[job.slot] = l.transform(dst, job.file, src, &s)
		if job.pb.remaining.Add(-1) == 0 {
			close(job.pb.ready)
		}
	}
}

// transform decodes file and writes its transformed image into dst.
func (l *ImageLoader) transform(dst []float32, file string, src *rand.PCG, s *imageScratch) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("image loader: %w", err)
	}
	img, err := decodeJPEGOrPNG(bufio.NewReader(f))
	f.Close()
	if err != nil {
		return fmt.Errorf("image loader: decode %s: %w", file, err)
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	s.rgb = toRGB(img, s.rgb)
	size, plane := l.c.Size, l.c.Size*l.c.Size
	if !l.c.Train {
		resizeCrop(dst, s.rgb, w, h, centreCropRect(w, h, l.c.Resize, size), size, s)
		normalise(dst, plane)
		return nil
	}
	resizeCrop(dst, s.rgb, w, h, randomResizedCrop(src, w, h), size, s)
	if l.c.Augment.Flip && src.Uint64()&1 == 1 {
		flipHorizontal(dst, 3, size, size)
	}
	if l.c.Augment.Jitter > 0 {
		jitter(dst, plane, l.c.Augment.Jitter, src)
	}
	if l.c.Augment.Lighting > 0 {
		lighting(dst, plane, l.c.Augment.Lighting, src)
	}
	normalise(dst, plane)
	return nil
}

// decodeJPEGOrPNG decodes a JPEG, or a PNG by its signature (as ImageNet
// has one under a .JPEG name).
func decodeJPEGOrPNG(r *bufio.Reader) (image.Image, error) {
	if head, _ := r.Peek(len(pngMagic)); bytes.Equal(head, pngMagic) {
		return png.Decode(r)
	}
	return jpeg.Decode(r)
}

// batch takes a batch from the free list, or allocates one.
func (l *ImageLoader) batch() *Batch {
	select {
	case b := <-l.free:
		return b
	default:
	}
	return &Batch{
		Images:  make([]float32, l.c.BatchSize*3*l.c.Size*l.c.Size),
		Targets: make([]float32, l.c.BatchSize),
		Labels:  make([]int, l.c.BatchSize),
	}
}
