package layers

import (
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// module is the import path every package of the repository starts with.
const module = "github.com/collegium/collegium/"

// layers ranks every package of the module, by the longest prefix that
// matches its path relative to the module (docs/ARCHITECTURE.md, "The
// house"): a package may import one of a lower or the same rank, never a
// higher one. A new package is refused until it is given a rank here.
var layers = []struct {
	prefix string
	rank   int
}{
	{"cmd/", 8},
	{"scripts", 8},
	{"pkg/sweep", 7},
	{"pkg/search", 7},
	{"pkg/bench", 7},
	{"pkg/study", 7},
	{"pkg/train", 6},
	{"pkg/ntk", 6},
	{"pkg/models", 5},
	{"pkg/engine", 4},
	{"pkg/ops", 4},
	{"pkg/dist", 4},
	{"pkg/device/", 3}, // the devices, their registry and conformance suite
	{"pkg/device", 2},  // the contract itself
	{"datasets", 1},
	{"internal/synth", 1}, // test datasets, built as datasets.Dataset values
	{"internal/", 0},
	{"kernels", 0},
}

// rank is the rank of a module package given relative to the module.
func rank(pkg string) (int, bool) {
	best, r := -1, 0
	for _, l := range layers {
		if (pkg == l.prefix || strings.HasPrefix(pkg, l.prefix) && (strings.HasSuffix(l.prefix, "/") || strings.HasPrefix(pkg, l.prefix+"/"))) && len(l.prefix) > best {
			best, r = len(l.prefix), l.rank
		}
	}
	return r, best >= 0
}

// violations lists every edge of imports (package → its module imports,
// paths relative to the module) that points up, and every package without
// a rank.
func violations(imports map[string][]string) []string {
	var bad []string
	for from, tos := range imports {
		rf, ok := rank(from)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s has no rank in layers", from))
			continue
		}
		for _, to := range tos {
			rt, ok := rank(to)
			switch {
			case !ok:
				bad = append(bad, fmt.Sprintf("%s has no rank in layers", to))
			case rt > rf:
				bad = append(bad, fmt.Sprintf("%s (rank %d) imports %s (rank %d): upward", from, rf, to, rt))
			}
		}
	}
	sort.Strings(bad)
	return bad
}

// moduleImports reads every package of the module with go/build under the
// build tags and returns each one's imports inside the module, test
// imports included. It reads the files in this process (not through the go
// command) so that go test's cache sees them: a changed import reruns the
// test.
func moduleImports(t *testing.T, tags string) map[string][]string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx := build.Default
	ctx.CgoEnabled = true
	ctx.BuildTags = strings.Split(tags, ",")
	imports := map[string][]string{}
	err = filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if dir != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); dir != root && err == nil {
			return filepath.SkipDir // another module
		}
		p, err := ctx.ImportDir(dir, 0)
		if _, none := err.(*build.NoGoError); none {
			return nil
		} else if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		from, err := filepath.Rel(root, dir)
		if err != nil {
			return err
		}
		from = filepath.ToSlash(from)
		imports[from] = nil
		for _, list := range [][]string{p.Imports, p.TestImports, p.XTestImports} {
			for _, to := range list {
				if rel, ok := strings.CutPrefix(to, module); ok && rel != from {
					imports[from] = append(imports[from], rel)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("tags %q: %v", tags, err)
	}
	return imports
}

// moduleRoot is the nearest directory above this one holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// TestImportsPointDown checks the module's import graph under every build
// tag set CI builds.
func TestImportsPointDown(t *testing.T) {
	for _, tags := range []string{"", "gpu", "cudaemu", "mpi", "gpu,mpi"} {
		imports := moduleImports(t, tags)
		if len(imports) < 20 {
			t.Fatalf("tags %q: found %d packages; is the module there?", tags, len(imports))
		}
		for _, v := range violations(imports) {
			t.Errorf("tags %q: %s", tags, v)
		}
	}
}

// TestViolations checks the checker on a made-up graph: an upward import
// and an unranked package are reported, sideways and downward ones are not.
func TestViolations(t *testing.T) {
	got := violations(map[string][]string{
		"pkg/ops":        {"pkg/device", "pkg/engine"},
		"pkg/models":     {"pkg/ops", "pkg/train"},
		"pkg/device/cpu": {"pkg/device/cpu/gemm", "pkg/device"},
		"pkg/devicex":    nil,
		"datasets":       {"internal/atomicfile"},
		"internal/logs":  {"datasets"},
	})
	want := []string{
		"internal/logs (rank 0) imports datasets (rank 1): upward",
		"pkg/devicex has no rank in layers",
		"pkg/models (rank 5) imports pkg/train (rank 6): upward",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
