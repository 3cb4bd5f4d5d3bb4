package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Tests that run the CLI as separate processes (two runs on one directory,
// real signals, exit codes, mpirun) take its binary from cliBinary.

var (
	cliMu    sync.Mutex
	cliDir   string            // where the binaries are built, removed by TestMain
	cliBuilt map[string]string // path of the binary by build tags
	cliErrs  map[string]error
)

// cliBinary returns the collegium binary built with the build tags (""
// for none), building it once per test binary and tag set: go build, no
// race detector (the child processes are the subject, the in-process tests
// cover the races). COLLEGIUM_CLI=/path/to/collegium replaces the untagged
// build, e.g. by an older build, to see the tests fail there.
func cliBinary(t *testing.T, tags string) string {
	t.Helper()
	if p := os.Getenv("COLLEGIUM_CLI"); p != "" && tags == "" {
		return p
	}
	cliMu.Lock()
	defer cliMu.Unlock()
	if p, ok := cliBuilt[tags]; ok {
		return p
	}
	if err, ok := cliErrs[tags]; ok {
		t.Fatalf("building the CLI with tags %q: %v", tags, err)
	}
	path, err := buildCLI(tags)
	if err != nil {
		if cliErrs == nil {
			cliErrs = map[string]error{}
		}
		cliErrs[tags] = err
		t.Fatalf("building the CLI with tags %q: %v", tags, err)
	}
	if cliBuilt == nil {
		cliBuilt = map[string]string{}
	}
	cliBuilt[tags] = path
	return path
}

// buildCLI builds the binary with tags into cliDir.
func buildCLI(tags string) (string, error) {
	if cliDir == "" {
		dir, err := os.MkdirTemp("", "collegium-cli-")
		if err != nil {
			return "", err
		}
		cliDir = dir
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	path := filepath.Join(cliDir, "collegium-"+strings.ReplaceAll(tags+"plain", ",", "-"))
	out, err := exec.Command(goBin, "build", "-tags", tags, "-o", path, ".").CombinedOutput()
	if err != nil {
		return "", errors.New("go build: " + err.Error() + "\n" + string(out))
	}
	return path, nil
}
