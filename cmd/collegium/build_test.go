package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildCLI builds the collegium binary with the given build tags into dir,
// for tests that run it as separate processes.
func buildCLI(t *testing.T, dir, tags string) string {
	t.Helper()
	bin := filepath.Join(dir, "collegium-"+strings.ReplaceAll(tags+"plain", ",", "-"))
	out, err := exec.Command("go", "build", "-tags", tags, "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -tags %q: %v\n%s", tags, err, out)
	}
	return bin
}
