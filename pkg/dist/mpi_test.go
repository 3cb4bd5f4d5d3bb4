//go:build mpi

package dist

import (
	"fmt"
	"strings"
	"testing"

	"github.com/collegium/collegium/internal/mpitest"
)

// TestMPI runs TestMPIRanks as 3 ranks under mpirun.
func TestMPI(t *testing.T) {
	if mpitest.Rank() {
		t.Skip("this process is a rank")
	}
	out := mpitest.Launch(t, 3, "TestMPIRanks")
	if n := strings.Count(out, "rank ok"); n != 3 {
		t.Errorf("%d of 3 ranks passed:\n%s", n, out)
	}
}

// TestMPIRanks checks every collective of the MPI Comm from inside a
// 3-rank job against sums worked out by hand.
func TestMPIRanks(t *testing.T) {
	if !mpitest.Rank() {
		t.Skip("runs as a rank of TestMPI")
	}
	c, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Size() != 3 {
		t.Fatalf("size %d, want 3", c.Size())
	}
	r := c.Rank()
	x := []float32{float32(r), float32(10 * r), 1}
	if err := c.AllReduceSum32(x); err != nil {
		t.Fatal(err)
	}
	y := []float64{float64(r) + 0.5, 1e-12}
	if err := c.AllReduceSum64(y); err != nil {
		t.Fatal(err)
	}
	if x[0] != 3 || x[1] != 30 || x[2] != 3 || y[0] != 4.5 || y[1] != 3e-12 {
		t.Errorf("rank %d: sums %v %v", r, x, y)
	}
	b := []byte(fmt.Sprintf("from %d", r))
	if err := c.Broadcast(b, 1); err != nil {
		t.Fatal(err)
	}
	if string(b) != "from 1" {
		t.Errorf("rank %d: broadcast gave %q", r, b)
	}
	if err := c.Broadcast(b, 3); err == nil {
		t.Error("broadcast from rank 3 of 3: no error")
	}
	if err := c.AllReduceSum32(nil); err != nil {
		t.Error(err)
	}
	if !t.Failed() {
		fmt.Println("rank ok")
	}
}
