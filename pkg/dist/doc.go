// Package dist is what data-parallel training needs from the engines that
// run it: a communicator over the ranks of a job (Comm), the share of every
// global batch each rank trains on (Shard), the averaging of gradients
// across ranks (Averager), and synchronised batch normalisation (SyncBN).
//
// Comm has two implementations: Single, the world of one process, in every
// build; and OpenMPI's communicator (cgo against libopenmpi-dev) behind the
// build tag mpi, for jobs launched by mpirun or srun. On GPUs the gradients
// are averaged by NCCL (build tags mpi and gpu), its unique id broadcast over
// MPI. Collegium implements no collective of its own: every sum across
// processes is MPI_Allreduce or ncclAllReduce.
package dist
