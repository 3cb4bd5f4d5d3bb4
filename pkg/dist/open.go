//go:build !mpi

package dist

import "fmt"

// Open returns the communicator of the job this process belongs to. This
// binary was built without the mpi tag: it is always a world of one, and a
// process that a launcher started as one of several ranks gets an error
// (each would otherwise train alone and write the same run directory).
func Open() (Comm, error) {
	if n := LaunchedSize(); n > 1 {
		return nil, fmt.Errorf("dist: launched as one of %d processes, but this binary was built without MPI: build it with `go build -tags mpi` (needs libopenmpi-dev)", n)
	}
	return Single{}, nil
}
