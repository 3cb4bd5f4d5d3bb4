package dist

import (
	"errors"
	"strings"
	"testing"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestShard(t *testing.T) {
	for _, c := range []struct{ batch, rank, size, lo, hi int }{
		{128, 0, 1, 0, 128}, {128, 0, 2, 0, 64}, {128, 1, 2, 64, 128}, {12, 2, 3, 8, 12},
	} {
		lo, hi, err := Shard(c.batch, c.rank, c.size)
		if err != nil || lo != c.lo || hi != c.hi {
			t.Errorf("Shard(%d, %d, %d) = %d, %d, %v; want %d, %d", c.batch, c.rank, c.size, lo, hi, err, c.lo, c.hi)
		}
	}
	if _, _, err := Shard(130, 0, 4); !errors.Is(err, ErrIndivisible) {
		t.Errorf("batch 130 over 4 ranks: %v", err)
	}
	if _, _, err := Shard(2, 0, 4); !errors.Is(err, ErrIndivisible) {
		t.Errorf("batch 2 over 4 ranks: %v", err)
	}
	for _, c := range [][2]int{{2, 2}, {-1, 2}, {0, 0}} {
		if _, _, err := Shard(8, c[0], c[1]); err == nil {
			t.Errorf("Shard(8, %d, %d): no error", c[0], c[1])
		}
	}
}

func TestSingle(t *testing.T) {
	var c Comm = Single{}
	x := []float32{1, 2}
	y := []float64{3}
	if c.Rank() != 0 || c.Size() != 1 || c.AllReduceSum32(x) != nil || c.AllReduceSum64(y) != nil || x[1] != 2 || y[0] != 3 {
		t.Error("Single is not the identity world of one rank")
	}
	if err := c.Broadcast(nil, 1); err == nil {
		t.Error("broadcast from rank 1 in a world of one: no error")
	}
}

func TestLaunchedSize(t *testing.T) {
	for _, v := range launchVars {
		t.Setenv(v, "")
	}
	if n := LaunchedSize(); n != 1 {
		t.Errorf("no launcher: size %d", n)
	}
	t.Setenv("OMPI_COMM_WORLD_SIZE", "4")
	if n := LaunchedSize(); n != 4 {
		t.Errorf("under mpirun -np 4: size %d", n)
	}
}
