package bench

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collegium/collegium/pkg/device/cpu"
)

func TestMemoryRefusal(t *testing.T) {
	c, _ := ParseCase("gconv-N32-C370-H32-g37")
	f := c.Footprint()
	// device: x, dx, y, dy of 12124160 floats and w, dw of 33300; host: x, w, dy and one scratch of x.
	if want := int64(4 * 2 * (2*12124160 + 33300)); f.Device != want {
		t.Errorf("device footprint %d, want %d", f.Device, want)
	}
	if want := int64(4 * (3*12124160 + 33300)); f.Host != want {
		t.Errorf("host footprint %d, want %d", f.Host, want)
	}
	limit := MemoryLimit{Bytes: 1 << 20, Description: "--max-bytes"}
	err := limit.Check(c)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), c.Name()) || !strings.Contains(err.Error(), "339876080 bytes") {
		t.Errorf("Check = %v, want ErrTooLarge naming the case and its bytes", err)
	}
	if err := (MemoryLimit{Bytes: f.Device, DeviceOnly: true}).Check(c); err != nil {
		t.Errorf("device-only limit of exactly the device bytes: %v", err)
	}
	_, err = Run(cpu.New(1), []Case{c}, Config{Passes: AllPasses, Timing: DefaultTiming, Verify: DefaultVerify, Limit: limit})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("Run over the limit = %v, want ErrTooLarge", err)
	}
}

func TestDetectMemoryLimit(t *testing.T) {
	l, err := DetectMemoryLimit(cpu.New(1), 12345)
	if err != nil || l.Bytes != 12345 || l.DeviceOnly {
		t.Errorf("--max-bytes limit = %+v, %v", l, err)
	}
	l, err = DetectMemoryLimit(freeMem{}, 0)
	if err != nil || l.Bytes != 1<<30 || !l.DeviceOnly {
		t.Errorf("GPU limit = %+v, %v", l, err)
	}
	path := filepath.Join(t.TempDir(), "meminfo")
	if err := os.WriteFile(path, []byte("MemTotal:  100 kB\nMemAvailable:   2048 kB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := memAvailable(path); err != nil || n != 2048*1024 {
		t.Errorf("memAvailable = %d, %v; want %d", n, err, 2048*1024)
	}
	if err := os.WriteFile(path, []byte("MemTotal:  100 kB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := memAvailable(path); err == nil {
		t.Error("meminfo without MemAvailable accepted")
	}
}

type freeMem struct{}

func (freeMem) FreeMemory() (int64, error) { return 1 << 30, nil }
