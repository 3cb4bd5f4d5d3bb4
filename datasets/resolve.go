package datasets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"

	"github.com/collegium/collegium/internal/logs"
)

// EnvDataDir names the environment variable that points at a data directory.
const EnvDataDir = "COLLEGIUM_DATA"

// FashionMNISTSystemDir is where Debian's dataset-fashion-mnist package
// installs the Fashion-MNIST files.
const FashionMNISTSystemDir = "/usr/share/datasets/fashion-mnist"

// Resolver finds a dataset's files. A data directory holds one folder per
// dataset, named after it (DIR/mnist, DIR/cifar10, ...), as written by Fetch.
// The order is:
//  1. DataDir (--data-dir): DataDir/NAME must exist when DataDir is set;
//  2. EnvDir ($COLLEGIUM_DATA): used when EnvDir/NAME holds at least one of
//     the dataset's files (an empty or unrelated folder is passed over with
//     a warning);
//  3. Builtin: a copy that needs no manual download (MNIST from the Go module
//     cache, Fashion-MNIST from its Debian package); nil skips this step.
type Resolver struct {
	DataDir string
	EnvDir  string
	Builtin func(ctx context.Context, name string) (string, error)
	// Log receives where a dataset was looked for and the warning of step 2
	// (nil: the lines are dropped).
	Log logrus.FieldLogger
}

// NewResolver returns the resolver the CLI uses: dataDir from --data-dir
// (may be empty), $COLLEGIUM_DATA, then the built-in copies, logging to log.
func NewResolver(dataDir string, log logrus.FieldLogger) Resolver {
	return Resolver{DataDir: dataDir, EnvDir: os.Getenv(EnvDataDir), Builtin: builtinDir, Log: log}
}

// Location is where a dataset was found and which rule found it.
type Location struct {
	Dir    string
	Origin string
}

// Find returns the directory holding the dataset's files.
func (r Resolver) Find(ctx context.Context, spec Spec) (Location, error) {
	if r.DataDir != "" {
		dir := filepath.Join(r.DataDir, spec.Name)
		if err := isDir(dir); err != nil {
			return Location{}, fmt.Errorf("dataset %s in --data-dir %s: %w (fetch it with `collegium data fetch %s --to %s`)",
				spec.Name, r.DataDir, err, spec.Name, r.DataDir)
		}
		return Location{Dir: dir, Origin: "--data-dir"}, nil
	}
	if r.EnvDir != "" {
		dir := filepath.Join(r.EnvDir, spec.Name)
		switch err := isDir(dir); {
		case err != nil:
			logs.OrDiscard(r.Log).WithError(err).Debugf("dataset %s: not in $%s", spec.Name, EnvDataDir)
		case !holdsAny(dir, spec):
			logs.OrDiscard(r.Log).Warnf("dataset %s: %s holds none of its files: passed over", spec.Name, dir)
		default:
			return Location{Dir: dir, Origin: "$" + EnvDataDir}, nil
		}
	}
	if r.Builtin != nil {
		dir, err := r.Builtin(ctx, spec.Name)
		if err != nil {
			return Location{}, fmt.Errorf("dataset %s: not in --data-dir or $%s, and %w", spec.Name, EnvDataDir, err)
		}
		return Location{Dir: dir, Origin: "built-in"}, nil
	}
	return Location{}, fmt.Errorf("dataset %s: no --data-dir, not in $%s: fetch it with `collegium data fetch %s --to DIR`",
		spec.Name, EnvDataDir, spec.Name)
}

// Load finds a dataset and loads one split, verifying checksums.
func (r Resolver) Load(ctx context.Context, spec Spec, split Split) (*Dataset, error) {
	loc, err := r.Find(ctx, spec)
	if err != nil {
		return nil, err
	}
	logs.OrDiscard(r.Log).Debugf("dataset %s %s: reading %s (%s)", spec.Name, split, loc.Dir, loc.Origin)
	return LoadDir(spec, loc.Dir, split)
}

// Load loads one split of a known dataset by name, looking in dataDir (may
// be empty), then $COLLEGIUM_DATA, then the built-in copies, logging to log
// (nil: the lines are dropped).
func Load(ctx context.Context, name string, split Split, dataDir string, log logrus.FieldLogger) (*Dataset, error) {
	spec, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return NewResolver(dataDir, log).Load(ctx, spec, split)
}

// builtinDir returns the directory of a copy that ships without a manual
// download.
func builtinDir(ctx context.Context, name string) (string, error) {
	switch name {
	case "mnist":
		dir, err := goModuleDir(ctx, GoMNISTModule)
		if err != nil {
			return "", err
		}
		return filepath.Join(dir, "data"), nil
	case "fashion-mnist":
		if err := isDir(FashionMNISTSystemDir); err != nil {
			return "", fmt.Errorf("no system copy (install Debian's dataset-fashion-mnist): %w", err)
		}
		return FashionMNISTSystemDir, nil
	}
	return "", fmt.Errorf("it has no built-in copy: fetch it with `collegium data fetch %s --to DIR`", name)
}

// holdsAny reports whether dir holds at least one of spec's files.
func holdsAny(dir string, spec Spec) bool {
	for _, f := range append(append([]File(nil), spec.Train...), spec.Test...) {
		for _, name := range []string{f.Name, f.Name + ".gz"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				return true
			}
		}
	}
	return false
}

func isDir(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", path)
	}
	return nil
}
