package datasets

import "fmt"

// The bookkeeping of batch positions shared by Loader and ImageLoader.

// positionAfter returns the position that follows batch (epoch, index) in
// epochs of perEpoch batches.
func positionAfter(seed uint64, batchSize, perEpoch, epoch, index int) LoaderState {
	st := LoaderState{Seed: seed, BatchSize: batchSize, Epoch: epoch, Batch: index + 1}
	if st.Batch == perEpoch {
		st.Epoch, st.Batch = epoch+1, 0
	}
	return st
}

// checkSeek reports why a loader of seed, batchSize and perEpoch cannot
// seek to st.
func checkSeek(st LoaderState, seed uint64, batchSize, perEpoch int) error {
	switch {
	case st.Seed != seed || st.BatchSize != batchSize:
		return fmt.Errorf("seek: state is for seed %d, batch size %d; loader has seed %d, batch size %d",
			st.Seed, st.BatchSize, seed, batchSize)
	case st.Epoch < 0 || st.Batch < 0 || st.Batch >= perEpoch:
		return fmt.Errorf("seek: position epoch %d batch %d outside epochs of %d batches", st.Epoch, st.Batch, perEpoch)
	}
	return nil
}

// checkShard reports why batches of batchSize cannot be split into part
// rank of size.
func checkShard(rank, size, batchSize int) error {
	switch {
	case size < 1 || rank < 0 || rank >= size:
		return fmt.Errorf("shard: rank %d of %d", rank, size)
	case batchSize%size != 0:
		return fmt.Errorf("shard: batch size %d is not a multiple of %d shards", batchSize, size)
	}
	return nil
}
