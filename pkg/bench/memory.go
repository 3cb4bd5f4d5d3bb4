package bench

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrTooLarge is wrapped by the error for a case whose buffers do not fit in
// the memory limit.
var ErrTooLarge = errors.New("does not fit in memory")

// FreeMemoryReporter is implemented by devices that can tell how much of
// their own memory is free (a GPU); the CPU device's memory is the host's.
type FreeMemoryReporter interface {
	FreeMemory() (int64, error)
}

// Footprint is the memory a case's benchmark allocates: on the device the
// input, weight and output tensors and their gradients; on the host the
// random inputs and one scratch tensor for downloading outputs to verify.
type Footprint struct {
	Device, Host int64
}

// Footprint is the memory Run allocates for c.
func (c Case) Footprint() Footprint {
	s := c.Sizes()
	sum := int64(s.Input + s.Weight + s.Output)
	return Footprint{
		Device: bytesPerElem * 2 * sum,
		Host:   bytesPerElem * (sum + int64(max(s.Input, s.Weight, s.Output))),
	}
}

// MemoryLimit is the number of bytes a benchmark may allocate and what it
// counts: either the device's own memory (a device that reports it) or all
// of it, device and host, against the host's memory.
type MemoryLimit struct {
	Bytes       int64
	DeviceOnly  bool   // count only device buffers (a GPU)
	Description string // where the limit comes from, for messages
}

// DetectMemoryLimit is maxBytes when positive, else the device's free memory
// when it reports it, else the host's available memory (/proc/meminfo).
func DetectMemoryLimit(dev any, maxBytes int64) (MemoryLimit, error) {
	_, gpu := dev.(FreeMemoryReporter)
	if maxBytes > 0 {
		return MemoryLimit{Bytes: maxBytes, DeviceOnly: gpu, Description: "--max-bytes"}, nil
	}
	if r, ok := dev.(FreeMemoryReporter); ok {
		free, err := r.FreeMemory()
		if err != nil {
			return MemoryLimit{}, fmt.Errorf("free device memory: %w", err)
		}
		return MemoryLimit{Bytes: free, DeviceOnly: true, Description: "free device memory"}, nil
	}
	avail, err := memAvailable("/proc/meminfo")
	if err != nil {
		return MemoryLimit{}, fmt.Errorf("host memory (give --max-bytes): %w", err)
	}
	return MemoryLimit{Bytes: avail, Description: "MemAvailable in /proc/meminfo"}, nil
}

// Check returns an error wrapping ErrTooLarge, naming the case and the
// bytes, when c does not fit in l.
func (l MemoryLimit) Check(c Case) error {
	f := c.Footprint()
	need := f.Device
	if !l.DeviceOnly {
		need += f.Host
	}
	if need > l.Bytes {
		return fmt.Errorf("case %s needs %d bytes (%s) of buffers, more than the limit of %d bytes (%s, %s): %w",
			c.Name(), need, humanBytes(need), l.Bytes, humanBytes(l.Bytes), l.Description, ErrTooLarge)
	}
	return nil
}

// memAvailable reads MemAvailable (kB) from a meminfo file.
func memAvailable(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("read meminfo: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: MemAvailable %q: %w", path, fields[1], err)
			}
			return kb * 1024, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	return 0, fmt.Errorf("%s has no MemAvailable line", path)
}

// humanBytes writes n in binary units, e.g. "1.5 GiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}
