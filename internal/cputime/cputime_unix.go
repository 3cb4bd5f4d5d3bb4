//go:build unix

// Package cputime reads the CPU time a process has used, for benchmarks on
// shared machines: with one worker, CPU time follows the work done more
// closely than wall time when other processes compete for the cores.
package cputime

import "syscall"

// Process returns the CPU time (user + system) the process has used, in
// seconds, or 0 where it cannot be read.
func Process() float64 {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return float64(u.Utime.Nano()+u.Stime.Nano()) / 1e9
}
