package datasets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

func TestResolverOrder(t *testing.T) {
	spec, _ := Lookup("mnist")
	dataDir, envDir, builtin := t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []string{dataDir, envDir} {
		if err := os.Mkdir(filepath.Join(d, "mnist"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(envDir, "mnist", "t10k-labels-idx1-ubyte.gz"), nil)
	emptyEnv := t.TempDir()
	if err := os.Mkdir(filepath.Join(emptyEnv, "mnist"), 0o755); err != nil {
		t.Fatal(err)
	}
	stub := func(context.Context, string) (string, error) { return builtin, nil }
	cases := []struct {
		name   string
		r      Resolver
		dir    string
		origin string
	}{
		{"data-dir beats env", Resolver{DataDir: dataDir, EnvDir: envDir, Builtin: stub}, filepath.Join(dataDir, "mnist"), "--data-dir"},
		{"env beats module", Resolver{EnvDir: envDir, Builtin: stub}, filepath.Join(envDir, "mnist"), "$COLLEGIUM_DATA"},
		{"module last", Resolver{Builtin: stub}, builtin, "built-in"},
		{"env without the dataset falls through", Resolver{EnvDir: t.TempDir(), Builtin: stub}, builtin, "built-in"},
		{"env with an empty folder for it falls through", Resolver{EnvDir: emptyEnv, Builtin: stub}, builtin, "built-in"},
		{"an empty --data-dir folder is still the one asked for", Resolver{DataDir: dataDir, Builtin: stub}, filepath.Join(dataDir, "mnist"), "--data-dir"},
	}
	for _, c := range cases {
		loc, err := c.r.Find(t.Context(), spec)
		if err != nil || loc.Dir != c.dir || loc.Origin != c.origin {
			t.Errorf("%s: got %+v, %v; want %s from %s", c.name, loc, err, c.dir, c.origin)
		}
	}
}

func TestResolverErrors(t *testing.T) {
	spec, _ := Lookup("cifar10")
	empty := t.TempDir()
	_, err := Resolver{DataDir: empty, Builtin: builtinDir}.Find(t.Context(), spec)
	wantErr(t, err, "dataset cifar10 in --data-dir "+empty, "collegium data fetch cifar10 --to "+empty)
	_, err = Resolver{EnvDir: empty, Builtin: builtinDir}.Find(t.Context(), spec)
	wantErr(t, err, "no built-in copy")
	_, err = Resolver{}.Find(t.Context(), spec)
	wantErr(t, err, "no --data-dir")
	failing := func(context.Context, string) (string, error) { return "", errors.New("go not found") }
	_, err = Resolver{Builtin: failing}.Find(t.Context(), spec)
	wantErr(t, err, "go not found")
}

func TestLoadFromEnv(t *testing.T) {
	env := t.TempDir()
	writeTinyMNIST(t, filepath.Join(env, "mnist"), 4, false)
	t.Setenv(EnvDataDir, env)
	// The tiny files do not match the official MD5s, which Load enforces.
	_, err := Load(t.Context(), "mnist", Test, "", nil)
	wantErr(t, err, filepath.Join(env, "mnist", "t10k-images-idx3-ubyte"), "MD5")
}

// TestResolverLogsToItsLogger checks that the warning for an $COLLEGIUM_DATA
// folder without the dataset goes to the resolver's logger, not logrus's
// standard one.
func TestResolverLogsToItsLogger(t *testing.T) {
	spec, _ := Lookup("mnist")
	env := t.TempDir()
	if err := os.Mkdir(filepath.Join(env, "mnist"), 0o755); err != nil {
		t.Fatal(err)
	}
	global := test.NewGlobal()
	defer logrus.StandardLogger().ReplaceHooks(logrus.LevelHooks{})
	log, hook := test.NewNullLogger()
	stub := func(context.Context, string) (string, error) { return t.TempDir(), nil }
	if _, err := (Resolver{EnvDir: env, Builtin: stub, Log: log}).Find(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	if e := hook.LastEntry(); e == nil || e.Level != logrus.WarnLevel {
		t.Errorf("resolver's logger got %v, want the pass-over warning", hook.AllEntries())
	}
	if n := len(global.AllEntries()); n != 0 {
		t.Errorf("%d lines reached logrus's standard logger, want 0", n)
	}
}
