package datasets

import (
	"slices"
	"testing"
)

// TestLoaderShardsMakeTheWholeBatch checks that the shards of 1, 2 and 4
// loaders (same seed, augmentation on) put together are the batches of one
// unsharded loader, image for image, also after a Seek and with a short
// last batch.
func TestLoaderShardsMakeTheWholeBatch(t *testing.T) {
	ds := numbered(46)
	const batch, total = 8, 14
	for _, dropLast := range []bool{true, false} {
		want := take(t, newTestLoader(t, ds, batch, 7, cifarLike, true, dropLast), total)
		for _, size := range []int{1, 2, 4} {
			got := make([]batchCopy, total)
			for rank := range size {
				l := newTestLoader(t, ds, batch, 7, cifarLike, true, dropLast)
				if err := l.Shard(rank, size); err != nil {
					t.Fatal(err)
				}
				part := take(t, l, 3)
				st := l.State()
				take(t, l, 2)
				if err := l.Seek(st); err != nil {
					t.Fatal(err)
				}
				part = append(part, take(t, l, total-3)...)
				for i, p := range part {
					got[i].images = append(got[i].images, p.images...)
					got[i].labels = append(got[i].labels, p.labels...)
				}
			}
			for i := range want {
				if !slices.Equal(got[i].images, want[i].images) || !slices.Equal(got[i].labels, want[i].labels) {
					t.Fatalf("dropLast %v, %d shards: batch %d (epoch %d) differs from the unsharded one", dropLast, size, i, want[i].epoch)
				}
			}
		}
	}
}

func TestLoaderShardErrors(t *testing.T) {
	l := newTestLoader(t, numbered(20), 6, 1, Augment{}, true, true)
	for _, c := range []struct {
		rank, size int
		want       string
	}{{0, 0, "rank 0 of 0"}, {2, 2, "rank 2 of 2"}, {-1, 2, "rank -1"}, {0, 4, "not a multiple of 4"}} {
		wantErr(t, l.Shard(c.rank, c.size), c.want)
	}
	l.Close()
	if err := l.Shard(0, 1); err != ErrLoaderClosed {
		t.Errorf("Shard after Close: %v", err)
	}
}
