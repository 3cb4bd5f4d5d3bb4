//go:build !linux

package sweep

import "syscall"

// childAttr starts a training process in a process group of its own, so
// that a Ctrl-C at the terminal reaches the sweep alone (which passes on
// exactly one SIGINT). Outside Linux there is no parent-death signal.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
