package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/internal/atomicfile"
	"github.com/collegium/collegium/internal/runlock"
	"github.com/collegium/collegium/internal/strictdecode"
	"github.com/collegium/collegium/pkg/models"
	"github.com/collegium/collegium/pkg/search"
	"github.com/collegium/collegium/pkg/train"
)

// Point is one run of a sweep.
type Point struct {
	Index int `json:"index"`
	// Name is the run directory's name inside the sweep directory: the
	// search role and configuration, then one key-value part per grid key
	// (e.g. "primal-4x96d-seed2"). It depends only on the spec.
	Name string `json:"name"`
	// Group names the configuration: Name without the seed part. The
	// report averages over the points of a group.
	Group string `json:"group"`
	// Role is where the configuration came from: baseline, primal, dual
	// (primal2 … for lower-ranked rows), "primal+dual" when both chose it;
	// empty for a grid without search.
	Role string `json:"role,omitempty"`
	// Settings are what the point sets over the base config.
	Settings []Setting `json:"settings"`
	// V is the search's predicted normalized variance of the configuration
	// (nil when the point comes from a grid alone).
	V *float64 `json:"predicted_v,omitempty"`
	// Params is the model's exact parameter count.
	Params int `json:"params"`
	// Seed is the point's training seed.
	Seed uint64 `json:"seed"`
	// ConfigSHA256 is the SHA-256 of the point's training config as
	// frozen in configs/NAME.yaml when the sweep was first planned: a
	// re-run whose spec gives the point another config is refused, and a
	// point starts only from a frozen config that still has this hash.
	ConfigSHA256 string `json:"config_sha256"`
}

// Plan is an expanded sweep: its points, saved in Dir as sweep.json, with
// every point's training config in Dir/configs.
type Plan struct {
	Dir    string  `json:"-"`
	Points []Point `json:"points"`
	// Slurm is the spec's sbatch settings: an array task reads them (and
	// its point's frozen config) from here, not from the spec.
	Slurm Slurm `json:"slurm"`
	// configs are the points' training configs as YAML (Expand fills
	// them; a plan read back has none: its configs are frozen on disk).
	configs [][]byte
}

// Files of a sweep directory.
const (
	planFile   = "sweep.json"
	configsDir = "configs"
	logsDir    = "logs"
)

// configuration is one (role, settings) before crossing with the grid.
type configuration struct {
	role, label string
	settings    []Setting
	v           *float64
	params      int
}

// Expand turns s into the points of a sweep in dir: every configuration
// (search rows, or the base alone) crossed with every combination of the
// grid's values, in order, the last grid key varying fastest. Each point's
// config is checked (and its exact parameter count compared with the
// search's) before anything runs.
func Expand(s *Spec, dir string) (*Plan, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("sweep directory: %w", err)
	}
	confs, err := s.configurations()
	if err != nil {
		return nil, err
	}
	p := &Plan{Dir: abs, Slurm: s.Slurm}
	names := map[string]bool{}
	for _, c := range confs {
		for _, combo := range product(s.Grid) {
			pt := Point{Index: len(p.Points), Role: c.role, V: c.v, Params: c.params}
			pt.Settings = append(slices.Clone(c.settings), combo...)
			var parts, group []string
			if c.label != "" {
				parts, group = append(parts, c.label), append(group, c.label)
			}
			for _, st := range combo {
				part := shortKey(st.Key) + safeName(st.Value)
				parts = append(parts, part)
				if st.Key != keySeed {
					group = append(group, part)
				}
			}
			pt.Name, pt.Group = strings.Join(parts, "-"), strings.Join(group, "-")
			if pt.Name == "" {
				pt.Name = "run"
			}
			if pt.Group == "" {
				pt.Group = "base"
			}
			if names[pt.Name] {
				return nil, fmt.Errorf("sweep: two points are named %s: make the grid's values distinct", pt.Name)
			}
			names[pt.Name] = true
			cfg, err := s.config(pt, abs)
			if err != nil {
				return nil, err
			}
			n, err := exactParams(cfg)
			if err != nil {
				return nil, fmt.Errorf("sweep: point %s: %w", pt.Name, err)
			}
			if pt.Params != 0 && pt.Params != n {
				return nil, fmt.Errorf("sweep: point %s: the search counted %d parameters, the sweep's config has %d: is the base config the searched family, depth and dataset?", pt.Name, pt.Params, n)
			}
			text, err := yaml.Marshal(cfg)
			if err != nil {
				return nil, fmt.Errorf("sweep: point %s: encode config: %w", pt.Name, err)
			}
			pt.Params, pt.Seed, pt.ConfigSHA256 = n, cfg.Seed, sha256Hex(text)
			p.Points = append(p.Points, pt)
			p.configs = append(p.configs, text)
		}
	}
	return p, nil
}

// configurations lists the search rows (baseline first) and the named
// configurations, or the base alone when there are neither.
func (s *Spec) configurations() ([]configuration, error) {
	if len(s.Search) == 0 && len(s.Configs) == 0 {
		return []configuration{{}}, nil
	}
	var out []configuration
	add := func(role string, m, n, params int, v float64) {
		settings := []Setting{{keyMembers, fmt.Sprint(m)}, {keyWidth, fmt.Sprint(n)}}
		for i := range out {
			if slices.Equal(out[i].settings, settings) {
				if !slices.Contains(strings.Split(out[i].role, "+"), role) {
					out[i].role += "+" + role
					out[i].label = out[i].role + "-" + search.BaselineName(m, n)
				}
				return
			}
		}
		out = append(out, configuration{role: role, label: role + "-" + search.BaselineName(m, n), settings: settings, v: &v, params: params})
	}
	for _, src := range s.Search {
		rows, err := readSearch(s.path(src.File))
		if err != nil {
			return nil, err
		}
		if src.Baseline {
			m, n, err := search.ParseBaseline(rows[0].BaselineName)
			if err != nil {
				return nil, fmt.Errorf("search %s: baseline: %w", src.File, err)
			}
			add("baseline", m, n, rows[0].BaselineParams, rows[0].BaselineV)
		}
	}
	for _, src := range s.Search {
		rows, err := readSearch(s.path(src.File))
		if err != nil {
			return nil, err
		}
		if src.Top > 0 && src.Top < len(rows) {
			rows = rows[:src.Top]
		}
		for _, r := range rows {
			role := r.Objective
			if role == "" {
				role = "search"
			}
			if len(rows) > 1 {
				role += fmt.Sprint(r.Rank)
			}
			add(role, r.M, r.N, r.Params, r.V)
		}
	}
	for _, c := range s.Configs {
		out = append(out, configuration{role: c.Name, label: c.Name, settings: c.Set})
	}
	return out, nil
}

// config is the training config of point pt in the sweep directory dir.
func (s *Spec) config(pt Point, dir string) (train.Config, error) {
	cfg := train.Default()
	if s.Base != "" {
		var err error
		if cfg, err = train.LoadConfig(s.path(s.Base)); err != nil {
			return cfg, fmt.Errorf("sweep: base: %w", err)
		}
	}
	for _, st := range append(slices.Clone(s.Set), pt.Settings...) {
		if err := cfg.Set(st.Key, st.Value); err != nil {
			return cfg, fmt.Errorf("sweep: point %s: %w", pt.Name, err)
		}
	}
	cfg.Out = filepath.Join(dir, pt.Name)
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("sweep: point %s: %w", pt.Name, err)
	}
	return cfg, nil
}

// exactParams is the parameter count of cfg's model on its dataset.
func exactParams(cfg train.Config) (int, error) {
	s := cfg.Model
	if s.Input == (models.Input{}) || s.Classes == 0 {
		ds, err := datasets.Lookup(cfg.Data.Dataset)
		if err != nil {
			return 0, err
		}
		if s.Input == (models.Input{}) {
			s.Input = models.Input{Channels: ds.Channels, Height: ds.Height, Width: ds.Width}
		}
		if s.Classes == 0 {
			s.Classes = ds.Classes
		}
	}
	return models.ParamCount(s)
}

func (s *Spec) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.Dir, p)
}

// product lists every combination of one value per axis, the last axis
// varying fastest; no axes give one empty combination.
func product(grid []Axis) [][]Setting {
	out := [][]Setting{nil}
	for _, a := range grid {
		var next [][]Setting
		for _, prefix := range out {
			for _, v := range a.Values {
				next = append(next, append(slices.Clone(prefix), Setting{a.Key, v}))
			}
		}
		out = next
	}
	return out
}

// shortKey is the last part of a dotted key: "optimizer.lr" → "lr".
func shortKey(k string) string { return k[strings.LastIndex(k, ".")+1:] }

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9.+_-]+`)

// safeName keeps a value usable in a directory name.
func safeName(v string) string { return strings.Trim(unsafeName.ReplaceAllString(v, "_"), "_") }

// Save writes the plan and freezes every point's config in configs/: a
// config written there is never rewritten. A directory that holds another
// sweep (other points), or this sweep with a point whose config the spec
// now changes, is refused, naming the point and the changed settings.
func (p *Plan) Save() error {
	old, err := ReadPlan(p.Dir)
	switch {
	case err == nil:
		if diff := differ(old, p); diff != "" {
			return fmt.Errorf("sweep: %s holds another sweep (%s): choose another --out", p.Dir, diff)
		}
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	if err := os.MkdirAll(filepath.Join(p.Dir, configsDir), 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	for i, pt := range p.Points {
		frozen, err := os.ReadFile(p.configPath(pt))
		switch {
		case errors.Is(err, os.ErrNotExist) && (old == nil || old.Points[i].ConfigSHA256 == pt.ConfigSHA256):
			if err := atomicfile.WriteBytes(p.configPath(pt), p.configs[i]); err != nil {
				return fmt.Errorf("sweep: point %s: %w", pt.Name, err)
			}
		case err != nil:
			return fmt.Errorf("sweep: point %s: its frozen config: %w", pt.Name, err)
		case sha256Hex(frozen) != pt.ConfigSHA256:
			return p.changed(pt, frozen, p.configs[i])
		}
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("sweep: encode plan: %w", err)
	}
	return atomicfile.WriteBytes(filepath.Join(p.Dir, planFile), b)
}

// Lock creates the sweep directory and takes its lock (package runlock)
// for as long as this process plans, submits or runs the sweep: a second
// sweep on the same directory is refused while the first lives. The array
// tasks of a Slurm sweep (which run one point each, at the same time) take
// no sweep lock: the run directory's lock guards each point.
func (p *Plan) Lock() (*runlock.Lock, error) {
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	l, err := runlock.Acquire(p.Dir)
	if errors.Is(err, runlock.ErrHeld) {
		return nil, fmt.Errorf("sweep directory %w: wait for that sweep to end, or choose another --out", err)
	}
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	return l, nil
}

// changed is the error for point pt, whose frozen config the spec now
// changes into cur.
func (p *Plan) changed(pt Point, frozen, cur []byte) error {
	var a, b train.Config
	if err := strictdecode.YAML(frozen, &a); err != nil {
		return fmt.Errorf("sweep: point %s: frozen config %s: %w", pt.Name, p.configPath(pt), err)
	}
	if err := strictdecode.YAML(cur, &b); err != nil {
		return fmt.Errorf("sweep: point %s: %w", pt.Name, err)
	}
	changes, err := train.Changes(a, b)
	if err != nil {
		return fmt.Errorf("sweep: point %s: %w", pt.Name, err)
	}
	return fmt.Errorf("sweep: %s was planned with another config for point %s (%s): the spec changed since; choose another --out, or restore the spec",
		p.Dir, pt.Name, strings.Join(changes, ", "))
}

// FrozenConfig is the path of pt's frozen config, checked against the hash
// the plan holds for it.
func (p *Plan) FrozenConfig(pt Point) (string, error) {
	b, err := os.ReadFile(p.configPath(pt))
	if err != nil {
		return "", fmt.Errorf("sweep: point %s: its frozen config: %w", pt.Name, err)
	}
	if got := sha256Hex(b); got != pt.ConfigSHA256 {
		return "", fmt.Errorf("sweep: point %s: %s was changed after the sweep was planned (sha256 %s, %s says %s)",
			pt.Name, p.configPath(pt), got, planFile, pt.ConfigSHA256)
	}
	return p.configPath(pt), nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// differ says how two plans differ in their points ("" when they do not).
func differ(a, b *Plan) string {
	if len(a.Points) != len(b.Points) {
		return fmt.Sprintf("%d points, the spec makes %d", len(a.Points), len(b.Points))
	}
	for i := range a.Points {
		x, y := a.Points[i], b.Points[i]
		if x.Name != y.Name {
			return fmt.Sprintf("point %d is %s there, %s in the spec", i, x.Name, y.Name)
		}
	}
	return ""
}

// ReadPlan reads the plan saved in a sweep directory; an error wrapping
// os.ErrNotExist says there is none.
func ReadPlan(dir string) (*Plan, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("sweep directory: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(abs, planFile))
	if err != nil {
		return nil, fmt.Errorf("sweep: %s is not a sweep directory: %w", dir, err)
	}
	p := &Plan{Dir: abs}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("sweep: %s: %w", filepath.Join(abs, planFile), err)
	}
	return p, nil
}

// RunDir is the run directory of pt.
func (p *Plan) RunDir(pt Point) string { return filepath.Join(p.Dir, pt.Name) }

func (p *Plan) configPath(pt Point) string {
	return filepath.Join(p.Dir, configsDir, pt.Name+".yaml")
}
