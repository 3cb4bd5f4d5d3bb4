//go:build gpu && !cudaemu

package cuda

import (
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/collegium/collegium/kernels"
	"gorgonia.org/cu"
)

// enteredTest opens GPU 0 and enters it (its context current on this
// thread) for the rest of the test.
func enteredTest(t *testing.T) *Device {
	d := openTest(t)
	leave, err := d.enter()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(leave) // before openTest's Close, which enters the device again
	return d
}

// TestJITRejectionShowsLog: PTX that the driver's JIT compiler rejects is
// reported with the compiler's error log, which says why.
func TestJITRejectionShowsLog(t *testing.T) {
	d := enteredTest(t)
	const broken = ".version 7.0\n.target sm_70\n.address_size 64\n\n.visible .entry broken()\n{\n\tno_such_instruction;\n\tret;\n}\n"
	err := d.drv.load("broken.ptx", []byte(broken), []string{"broken"})
	if err == nil {
		t.Fatal("the JIT accepted an unknown instruction")
	}
	t.Logf("%v", err)
	if !strings.Contains(err.Error(), "JIT error log:") || !strings.Contains(err.Error(), "line 7") {
		t.Errorf("the error does not carry the JIT's log naming line 7: %v", err)
	}
}

// ptxasRE reads the verbose JIT log: the kernel being compiled, its spills
// and its registers, as ptxas -v prints them.
var ptxasRE = regexp.MustCompile(`(?m)Compiling entry function '(\w+)'|(\d+) bytes spill stores, (\d+) bytes spill loads|Used (\d+) registers`)

// TestJITRegisters: the driver's own JIT compiler (which may differ from the
// ptxas that CI checks with) gives every kernel registers that its block
// limit can have, and kernels bounded above 256 threads do not spill; the
// table is logged.
func TestJITRegisters(t *testing.T) {
	d := enteredTest(t)
	files, err := fs.Glob(kernels.PTX, "ptx/*.ptx")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded PTX: %v (%d files)", err, len(files))
	}
	checked := 0
	for _, f := range files {
		src, err := fs.ReadFile(kernels.PTX, f)
		if err != nil {
			t.Fatal(err)
		}
		if target, err := ptxTarget(src); err != nil || target > d.info.capability {
			continue
		}
		info := &cu.JITInfoLogBuffer{Buffer: make([]byte, jitLogBytes)}
		mod, err := cu.LoadDataEx(string(src), info, &cu.JITLogVerbose{Enabled: true})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := mod.Unload(); err != nil {
			t.Errorf("%s: unload: %v", f, err)
		}
		limits := ptxEntries(src)
		fn, spilled := "", false
		for _, m := range ptxasRE.FindAllStringSubmatch(jitLogs(nil, info.Buffer), -1) {
			switch {
			case m[1] != "":
				fn, spilled = m[1], false
			case m[2] != "":
				spilled = m[2] != "0" || m[3] != "0"
			case m[4] != "":
				regs, _ := strconv.Atoi(m[4])
				limit, ok := limits[fn]
				if !ok {
					t.Errorf("%s: the JIT log names %q, not a kernel of the module", f, fn)
					continue
				}
				t.Logf("%-24s <=%4d threads  %3d registers  spills %v", fn, limit, regs, spilled)
				if regs*limit > 65536 {
					t.Errorf("%s: %d registers × %d threads exceed the 65536 registers of a multiprocessor", fn, regs, limit)
				}
				if limit > unboundedThreads && spilled {
					t.Errorf("%s: bounded to %d threads, it spills", fn, limit)
				}
				delete(limits, fn)
				checked++
			}
		}
		for fn := range limits {
			t.Errorf("%s: no register count for kernel %s in the JIT's log", f, fn)
		}
	}
	if checked < 30 {
		t.Errorf("register counts for %d kernels, expected at least 30", checked)
	}
}
