package dist

import (
	"os"
	"strconv"
)

// launchVars are the environment variables in which launchers state the
// world size of the job they started: mpirun (OpenMPI), PMI-2 (srun
// --mpi=pmi2) and, without an MPI plugin, srun itself.
var launchVars = []string{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"}

// LaunchedSize returns the number of processes the environment says were
// launched together with this one (by mpirun or srun), or 1 when no launcher
// says so.
func LaunchedSize() int {
	size := 1
	for _, v := range launchVars {
		if n, err := strconv.Atoi(os.Getenv(v)); err == nil && n > size {
			size = n
		}
	}
	return size
}

// underMPI reports whether an MPI launcher (mpirun, or srun with a PMIx or
// PMI-2 plugin) started this process, so MPI_Init can join its job.
func underMPI() bool {
	for _, v := range []string{"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"} {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}

// localRankVars name this process's index among the ranks on its node, as
// mpirun and srun set them.
var localRankVars = []string{"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID"}

// LocalDevice resolves the device name "cuda:local" to cuda:N with N this
// process's rank on its node (one GPU per rank, as launchers place them);
// every other name is returned as it is.
func LocalDevice(name string) string {
	if name != "cuda:local" {
		return name
	}
	for _, v := range localRankVars {
		if n, err := strconv.Atoi(os.Getenv(v)); err == nil && n >= 0 {
			return "cuda:" + strconv.Itoa(n)
		}
	}
	return "cuda:0"
}
