//go:build !mpi

package dist

import (
	"strings"
	"testing"
)

// TestOpenRefusesRanksWithoutMPI: a binary without MPI started by mpirun or
// srun as one of several processes must not train alone.
func TestOpenRefusesRanksWithoutMPI(t *testing.T) {
	for _, v := range launchVars {
		t.Setenv(v, "")
	}
	if c, err := Open(); err != nil || c.Size() != 1 {
		t.Fatalf("outside a launcher: %v, %v", c, err)
	}
	for _, v := range launchVars {
		t.Setenv(v, "2")
		_, err := Open()
		if err == nil || !strings.Contains(err.Error(), "built without MPI") {
			t.Errorf("%s=2: %v", v, err)
		}
		t.Setenv(v, "")
	}
}
