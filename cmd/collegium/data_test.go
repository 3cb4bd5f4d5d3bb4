package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDataInfoBuiltinMNIST(t *testing.T) {
	t.Setenv("COLLEGIUM_DATA", "")
	out, err := runCLI("data", "info")
	if err != nil {
		t.Fatalf("data info (the built-in MNIST is the Go module's: go mod download): %v\n%s", err, out)
	}
	for _, want := range []string{"dataset        mnist", "(built-in)", "train          60000 images", "test           10000 images", "ok            27ae3e4e09519cfbb04c329615203637"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestDataInfoEmptyEnvFolder: an empty $COLLEGIUM_DATA/mnist (what a
// failed fetch used to leave) does not hide the built-in MNIST.
func TestDataInfoEmptyEnvFolder(t *testing.T) {
	env := t.TempDir()
	if err := os.Mkdir(filepath.Join(env, "mnist"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("COLLEGIUM_DATA", env)
	out, err := runCLI("data", "info")
	if err != nil || !strings.Contains(out, "(built-in)") {
		t.Fatalf("data info with an empty %s/mnist: %v\n%s", env, err, out)
	}
}

func TestDataFetchBaseURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte{0, 0, 8, 1, 0, 0, 0, 1, 7})
	}))
	defer srv.Close()
	to := t.TempDir()
	_, err := runCLI("data", "fetch", "mnist", "--to", to, "--base-url", srv.URL+"/")
	if err == nil || !strings.Contains(err.Error(), srv.URL+"/train-images-idx3-ubyte.gz: MD5") {
		t.Fatalf("fetch from a server of wrong files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(to, "mnist")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed fetch left %s/mnist behind: %v", to, err)
	}
	if _, err := runCLI("data", "fetch", "imagenet", "--to", to); err == nil || !strings.Contains(err.Error(), "unknown dataset") {
		t.Fatalf("fetch of an unknown dataset: %v", err)
	}
	_, err = runCLI("data", "info", "cifar10", "--data-dir", to)
	if err == nil || !strings.Contains(err.Error(), "collegium data fetch cifar10 --to "+to) {
		t.Fatalf("info of a dataset not fetched: %v", err)
	}
}
