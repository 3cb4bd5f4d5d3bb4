//go:build unix

package cpu_test

import "syscall"

// processCPU returns the CPU time (user + system) the process has used, in
// seconds.
func processCPU() float64 {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return float64(u.Utime.Nano()+u.Stime.Nano()) / 1e9
}
