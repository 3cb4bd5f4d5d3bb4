package engine_test

import (
	"testing"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
)

// testDevice opens the device named by COLLEGIUM_TEST_DEVICE.
func testDevice(t *testing.T) device.Device {
	t.Helper()
	if name := deviceName(); name != "cpu" {
		t.Fatalf("%s=%s: only cpu is available here", deviceEnv, name)
	}
	return cpu.New(0)
}
