package datasets

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
)

// prefetch is how many batches the background goroutine prepares ahead.
const prefetch = 3

// ErrLoaderClosed is returned by Next after Close.
var ErrLoaderClosed = errors.New("loader closed")

// Batch is one mini-batch. It belongs to the caller until handed back with
// Loader.Release, after which its buffers are reused.
type Batch struct {
	Images  []float32 // Size × C × H × W
	Targets []float32 // class indices as float32, as the graph takes labels
	Labels  []int     // the same class indices as ints
	Size    int       // images in this batch (the last one may be short)
	Epoch   int       // epoch the batch belongs to, from 0
	Index   int       // batch number within the epoch, from 0
}

// LoaderState is the position of a Loader in its endless stream of batches:
// the next batch Next returns. Saved in a checkpoint and given to Seek, it
// makes a resumed run see the same batches as an uninterrupted one.
type LoaderState struct {
	Seed      uint64 `json:"seed"`
	BatchSize int    `json:"batch_size"`
	Epoch     int    `json:"epoch"`
	Batch     int    `json:"batch"`
}

// Loader serves batches of a Dataset, prepared by a background goroutine,
// epoch after epoch without end: each epoch visits the images in a seeded
// permutation (or in order without shuffling) and augments them with seeded
// draws. Next, Release, State, Seek and Close are for one goroutine.
type Loader struct {
	ds                *Dataset
	batchSize         int
	seed              uint64
	aug               Augment
	shuffle, dropLast bool
	perEpoch          int
	fill              []float32 // padding value per channel

	shard  shard
	ctx    context.Context
	free   chan *Batch
	out    chan *Batch
	cancel context.CancelFunc
	done   chan struct{}
	next   LoaderState
	closed bool
}

// NewLoader starts a loader at epoch 0. Cancelling ctx or calling Close
// stops its goroutine. With dropLast, a final batch smaller than batchSize is
// skipped; otherwise it is served short.
func NewLoader(ctx context.Context, ds *Dataset, batchSize int, seed uint64, aug Augment, shuffle, dropLast bool) (*Loader, error) {
	switch {
	case ds == nil || ds.Len() == 0:
		return nil, errors.New("new loader: empty dataset")
	case batchSize < 1:
		return nil, fmt.Errorf("new loader: batch size %d < 1", batchSize)
	case aug.Pad < 0:
		return nil, fmt.Errorf("new loader: crop padding %d < 0", aug.Pad)
	case len(ds.Images) != ds.Len()*ds.ImageSize() || len(ds.Mean) != ds.Channels || len(ds.Std) != ds.Channels:
		return nil, fmt.Errorf("new loader: dataset %s is inconsistent: %d values for %d images of %d×%d×%d",
			ds.Name, len(ds.Images), ds.Len(), ds.Channels, ds.Height, ds.Width)
	}
	perEpoch := ds.Len() / batchSize
	if !dropLast && ds.Len()%batchSize != 0 {
		perEpoch++
	}
	if perEpoch == 0 {
		return nil, fmt.Errorf("new loader: %d images make no full batch of %d", ds.Len(), batchSize)
	}
	fill := make([]float32, ds.Channels)
	for c := range fill {
		fill[c] = -ds.Mean[c] / ds.Std[c]
	}
	l := &Loader{
		ds: ds, batchSize: batchSize, seed: seed, aug: aug, shuffle: shuffle, dropLast: dropLast,
		perEpoch: perEpoch, fill: fill, ctx: ctx, shard: shard{size: 1},
		free: make(chan *Batch, prefetch+2),
		next: LoaderState{Seed: seed, BatchSize: batchSize},
	}
	l.start()
	return l, nil
}

// BatchesPerEpoch returns the number of batches in one epoch.
func (l *Loader) BatchesPerEpoch() int { return l.perEpoch }

// Next returns the next batch, waiting for the goroutine if it is behind.
func (l *Loader) Next(ctx context.Context) (*Batch, error) {
	if l.closed {
		return nil, ErrLoaderClosed
	}
	if l.ctx.Err() != nil {
		return nil, fmt.Errorf("loader stopped: %w", context.Cause(l.ctx))
	}
	select {
	case b, ok := <-l.out:
		if !ok {
			return nil, fmt.Errorf("loader stopped: %w", context.Cause(l.ctx))
		}
		l.next = l.after(b.Epoch, b.Index)
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Release hands a batch's buffers back for reuse; b must not be used after.
func (l *Loader) Release(b *Batch) {
	select {
	case l.free <- b:
	default:
	}
}

// State returns the position of the next batch Next will return.
func (l *Loader) State() LoaderState { return l.next }

// Seek moves the loader so that Next returns the batch at st, discarding
// batches prepared ahead. st must come from a loader with the same seed and
// batch size.
func (l *Loader) Seek(st LoaderState) error {
	if l.closed {
		return ErrLoaderClosed
	}
	if err := checkSeek(st, l.seed, l.batchSize, l.perEpoch); err != nil {
		return err
	}
	l.stop()
	l.next = st
	l.start()
	return nil
}

// Shard makes every batch served from the next on hold only part rank (from
// 0) of size equal parts of the global batch, in order: size loaders with
// the same seed and ranks 0 … size−1 together serve exactly the batches of
// one unsharded loader, augmentation included. Batches prepared ahead are
// discarded. The batch size must be a multiple of size.
func (l *Loader) Shard(rank, size int) error {
	if l.closed {
		return ErrLoaderClosed
	}
	if err := checkShard(rank, size, l.batchSize); err != nil {
		return err
	}
	l.stop()
	l.shard = shard{rank: rank, size: size}
	l.start()
	return nil
}

// shard is one of size equal parts of every batch.
type shard struct{ rank, size int }

// span is the range of positions of a batch of n images in the shard (a
// short last batch is split as evenly as it goes).
func (s shard) span(n int) (lo, hi int) {
	return s.rank * n / s.size, (s.rank + 1) * n / s.size
}

// Close stops the goroutine and waits for it to end. It is safe to call
// more than once.
func (l *Loader) Close() {
	if l.closed {
		return
	}
	l.stop()
	l.closed = true
}

func (l *Loader) start() {
	ctx, cancel := context.WithCancel(l.ctx)
	l.cancel, l.out, l.done = cancel, make(chan *Batch, prefetch), make(chan struct{})
	go l.produce(ctx, l.out, l.done, l.next)
}

// stop ends the goroutine and keeps the batches it had prepared for reuse.
func (l *Loader) stop() {
	l.cancel()
	<-l.done
	for b := range l.out {
		l.Release(b)
	}
}

// after returns the position that follows batch (epoch, index).
func (l *Loader) after(epoch, index int) LoaderState {
	return positionAfter(l.seed, l.batchSize, l.perEpoch, epoch, index)
}

// produce fills batches from position st on until ctx ends, then closes out.
func (l *Loader) produce(ctx context.Context, out chan<- *Batch, done chan<- struct{}, st LoaderState) {
	defer close(done)
	defer close(out)
	src := rand.NewPCG(0, 0)
	order := make([]int, l.ds.Len())
	for epoch := st.Epoch; ; epoch++ {
		l.epochOrder(src, order, epoch)
		first := 0
		if epoch == st.Epoch {
			first = st.Batch
		}
		for index := first; index < l.perEpoch; index++ {
			b := l.batch()
			l.fillBatch(b, src, order, epoch, index)
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
		}
	}
}

// epochOrder sets the order in which epoch visits the images.
func (l *Loader) epochOrder(src *rand.PCG, order []int, epoch int) {
	if !l.shuffle {
		for i := range order {
			order[i] = i
		}
		return
	}
	seedAt(src, l.seed, streamPermutation, uint64(epoch))
	permute(src, order)
}

// batch takes a batch from the free list, or allocates one.
func (l *Loader) batch() *Batch {
	select {
	case b := <-l.free:
		return b
	default:
	}
	return &Batch{
		Images:  make([]float32, l.batchSize*l.ds.ImageSize()),
		Targets: make([]float32, l.batchSize),
		Labels:  make([]int, l.batchSize),
	}
}

// fillBatch fills b with this loader's share of global batch (epoch,
// index). The random draws of the images outside the share are made too, so
// every image gets the same augmentation whatever the number of shards.
func (l *Loader) fillBatch(b *Batch, src *rand.PCG, order []int, epoch, index int) {
	ds, is := l.ds, l.ds.ImageSize()
	start := index * l.batchSize
	size := min(l.batchSize, ds.Len()-start)
	lo, hi := l.shard.span(size)
	b.Size, b.Epoch, b.Index = hi-lo, epoch, index
	b.Images, b.Targets, b.Labels = b.Images[:(hi-lo)*is], b.Targets[:hi-lo], b.Labels[:hi-lo]
	seedAt(src, l.seed, streamAugment, uint64(epoch), uint64(index))
	for j := range size {
		var dy, dx int
		if p := l.aug.Pad; p > 0 {
			dy, dx = uniform(src, 2*p+1), uniform(src, 2*p+1)
		}
		flip := l.aug.Flip && src.Uint64()&1 == 1
		if j < lo || j >= hi {
			continue
		}
		i, k := order[start+j], j-lo
		img, dst := ds.Images[i*is:(i+1)*is], b.Images[k*is:(k+1)*is]
		if p := l.aug.Pad; p > 0 {
			crop(dst, img, ds.Channels, ds.Height, ds.Width, p, dy, dx, l.fill)
		} else {
			copy(dst, img)
		}
		if flip {
			flipHorizontal(dst, ds.Channels, ds.Height, ds.Width)
		}
		b.Labels[k] = ds.Labels[i]
		b.Targets[k] = float32(ds.Labels[i])
	}
}
