//go:build mpi

// Package mpitest runs a test of the calling test binary as the ranks of an
// MPI job: the parent test calls Launch, which starts `mpirun -np N` on the
// same binary restricted to one test; in that test, Rank reports that the
// process is one of the ranks.
package mpitest

import (
	"os"
	"os/exec"
	"testing"
)

// rankEnv marks the processes that Launch starts.
const rankEnv = "COLLEGIUM_MPITEST_RANK"

// Rank reports whether this process was started by Launch as an MPI rank.
func Rank() bool { return os.Getenv(rankEnv) == "1" }

// Launch runs the test named test of this test binary as np ranks under
// mpirun (oversubscribing the cores, and allowed to run as root, as in CI)
// with env added to the environment, and fails t with the job's output if
// mpirun fails. It returns the output.
func Launch(t *testing.T, np int, test string, env ...string) string {
	t.Helper()
	mpirun, err := exec.LookPath("mpirun")
	if err != nil {
		t.Fatalf("mpirun not found (install openmpi-bin): %v", err)
	}
	args := []string{"--oversubscribe", "-np", itoa(np)}
	if os.Geteuid() == 0 {
		args = append(args, "--allow-run-as-root")
	}
	args = append(args, os.Args[0], "-test.run", "^"+test+"$", "-test.count=1", "-test.v")
	cmd := exec.Command(mpirun, args...)
	cmd.Env = append(os.Environ(), append(env, rankEnv+"=1")...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mpirun %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
