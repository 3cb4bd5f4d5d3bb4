//go:build mpi

package dist

import "fmt"

// Open returns the communicator of the job this process belongs to:
// MPI_COMM_WORLD when mpirun or srun (with --mpi=pmix or pmi2) started it,
// else a world of one without initialising MPI.
func Open() (Comm, error) {
	if underMPI() {
		return OpenMPI()
	}
	if n := LaunchedSize(); n > 1 {
		return nil, fmt.Errorf("dist: srun started %d tasks without an MPI plugin: launch with `srun --mpi=pmix` (or pmi2), or with mpirun", n)
	}
	return Single{}, nil
}
