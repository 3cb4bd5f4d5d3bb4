// Package engine compiles a gorgonia expression graph (typically after
// gorgonia.Grad) into a static plan and runs it on a device.Device.
//
// Compile sorts the graph once, gives every leaf and constant a persistent
// buffer, and gives every computed node a buffer drawn from a pool that is
// reused as soon as the node's last consumer has run (liveness), except for
// the nodes the caller keeps. Each computed node must be an op that
// implements device.Launcher (Collegium's ops) or gorgonia's elementwise
// "+" between equal shapes, which Grad inserts to accumulate gradients; any
// other op is refused at Compile with an error naming the op and device.
// Running a plan allocates nothing on the host.
package engine
