package sweep

import "syscall"

// childAttr starts a training process in a process group of its own, so
// that a Ctrl-C at the terminal reaches the sweep alone (which passes on
// exactly one SIGINT), and has the kernel kill it when the sweep dies,
// however it dies, instead of letting it run on unwatched. The signal is
// SIGKILL, not SIGTERM: the kernel sends the parent-death signal again
// each time the dying sweep's threads hand the process on to one another,
// and a second SIGTERM would end it mid-checkpoint anyway; checkpoints are
// written atomically, so the run resumes from its last one.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
