//go:build mpi

package dist

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/collegium/collegium/internal/mpitest"
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
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
// 3-rank job against sums worked out by hand, and Agree with one rank
// failing alone.
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
	if err := Agree(c, nil); err != nil {
		t.Errorf("rank %d: Agree with no failure: %v", r, err)
	}
	var mine error
	want := "rank 1 failed (rank 1: rank 1's trouble)"
	if r == 1 {
		mine, want = errors.New("rank 1's trouble"), "rank 1's trouble"
	}
	if err := Agree(c, mine); err == nil || err.Error() != want || !IsShared(err) {
		t.Errorf("rank %d: Agree with rank 1 failing: %v, want the shared error %q", r, err, want)
	}
	if !t.Failed() {
		fmt.Println("rank ok")
	}
}

// BenchmarkAverage times the host-staged gradient averaging of
// ResNeXt-50's 25,028,904 float32 gradients (one CPU-device buffer per
// parameter-sized slice) over the ranks of an MPI job. It needs mpirun and
// a fixed iteration count, so both ranks make the same calls:
//
//	go test -tags mpi -c -o dist.test ./pkg/dist
//	mpirun --oversubscribe -np 2 ./dist.test -test.run '^$' -test.bench Average -test.benchtime 10x
func BenchmarkAverage(b *testing.B) {
	c, err := Open()
	if err != nil {
		b.Fatal(err)
	}
	if c.Size() < 2 {
		b.Skip("run under mpirun -np 2 or more")
	}
	dev := cpu.New(1)
	const params = 25028904
	var bufs []device.Buffer
	for left := params; left > 0; left -= min(left, 1<<20) {
		buf, err := dev.Alloc(tensor.Float32, min(left, 1<<20))
		if err != nil {
			b.Fatal(err)
		}
		bufs = append(bufs, buf)
	}
	a, err := NewAverager(c, dev)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(4 * params)
	b.ResetTimer()
	for range b.N {
		if err := a.Average(bufs, []float64{1}); err != nil {
			b.Fatal(err)
		}
	}
}
