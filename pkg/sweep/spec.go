package sweep

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/collegium/collegium/internal/strictdecode"
	"github.com/collegium/collegium/pkg/search"
)

// Spec is a sweep file.
type Spec struct {
	// Base is a training config file (relative to the spec's directory);
	// empty means `collegium train`'s defaults.
	Base string
	// Set overrides base settings for every point, in order.
	Set []Setting
	// Grid holds the lists that are crossed, in order: every combination
	// of one value per key is a point.
	Grid []Axis
	// Search takes configurations (members, width) from search outputs.
	Search []SearchSource
	// Configs are further named configurations, each with its settings
	// (a control, or configurations of a grid that is not a product).
	Configs []NamedConfig
	// Slurm configures the sbatch array of the slurm executor.
	Slurm Slurm
	// Dir is the directory relative paths are read from.
	Dir string
}

// Setting is one config key (dotted YAML path, as in `collegium train`'s
// config files, e.g. "optimizer.lr") and its value as YAML text.
type Setting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Axis is one key with the values a sweep gives it.
type Axis struct {
	Key    string
	Values []string
}

// SearchSource is one `collegium search --format json` output (one object
// per line): its first Top rows (all when 0), and with Baseline the search's
// baseline too.
type SearchSource struct {
	File     string `yaml:"file"`
	Top      int    `yaml:"top"`
	Baseline bool   `yaml:"baseline"`
}

// NamedConfig is a configuration of a sweep given by name and settings.
type NamedConfig struct {
	Name string
	Set  []Setting
}

// Slurm holds the sbatch settings of the array job.
type Slurm struct {
	Partition   string `yaml:"partition" json:"partition,omitempty"`
	Time        string `yaml:"time" json:"time,omitempty"`
	CPUsPerTask int    `yaml:"cpus_per_task" json:"cpus_per_task,omitempty"`
	// Parallel limits how many array tasks run at once (0: no limit).
	Parallel int `yaml:"parallel" json:"parallel,omitempty"`
	// NTasks > 1 trains every point data-parallel over that many MPI
	// ranks, launched by `srun --mpi=MPI` (the collegium binary must be
	// built with -tags mpi).
	NTasks int `yaml:"ntasks" json:"ntasks,omitempty"`
	// MPI is srun's MPI plugin for NTasks > 1 (default pmix).
	MPI string `yaml:"mpi" json:"mpi,omitempty"`
	// Options are further sbatch options, each a whole "--name=value".
	Options []string `yaml:"options" json:"options,omitempty"`
}

// TrainCommand is the command an array task trains its point with: exe
// train, launched by srun over NTasks ranks when NTasks > 1.
func (s Slurm) TrainCommand(exe string) []string {
	if s.NTasks <= 1 {
		return []string{exe, "train"}
	}
	mpi := s.MPI
	if mpi == "" {
		mpi = "pmix"
	}
	return []string{"srun", "--mpi=" + mpi, "--ntasks=" + strconv.Itoa(s.NTasks), exe, "train"}
}

// specFile is the YAML layout of a spec; set and grid are read as nodes to
// keep their order.
type specFile struct {
	Base    string         `yaml:"base"`
	Set     yaml.Node      `yaml:"set"`
	Grid    yaml.Node      `yaml:"grid"`
	Search  []SearchSource `yaml:"search"`
	Configs []struct {
		Name string    `yaml:"name"`
		Set  yaml.Node `yaml:"set"`
	} `yaml:"configs"`
	Slurm Slurm `yaml:"slurm"`
}

// LoadSpec reads a sweep file, strictly (see package strictdecode): one
// YAML document of known keys, no key twice, also not once nested and once
// dotted (`model: {members: 8}` beside `model.members: 4`), no key both set
// and varied.
func LoadSpec(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sweep spec: %w", err)
	}
	var f specFile
	if err := strictdecode.YAML(b, &f); err != nil {
		if errors.Is(err, strictdecode.ErrEmpty) {
			return nil, fmt.Errorf("sweep spec %s is empty", path)
		}
		return nil, fmt.Errorf("sweep spec %s: %w", path, err)
	}
	s := &Spec{Base: f.Base, Search: f.Search, Slurm: f.Slurm, Dir: filepath.Dir(path)}
	if s.Set, err = flatten(&f.Set); err != nil {
		return nil, fmt.Errorf("sweep spec %s: set: %w", path, err)
	}
	if s.Grid, err = axes(&f.Grid); err != nil {
		return nil, fmt.Errorf("sweep spec %s: grid: %w", path, err)
	}
	for _, c := range f.Configs {
		nc := NamedConfig{Name: c.Name}
		if nc.Set, err = flatten(&c.Set); err != nil {
			return nil, fmt.Errorf("sweep spec %s: configs: %s: %w", path, c.Name, err)
		}
		s.Configs = append(s.Configs, nc)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("sweep spec %s: %w", path, err)
	}
	return s, nil
}

func (s *Spec) validate() error {
	seen := map[string]bool{}
	for _, a := range s.Grid {
		if seen[a.Key] {
			return fmt.Errorf("grid: %s is listed twice", a.Key)
		}
		seen[a.Key] = true
		if len(a.Values) == 0 {
			return fmt.Errorf("grid: %s has no values", a.Key)
		}
	}
	for i, src := range s.Search {
		switch {
		case src.File == "":
			return fmt.Errorf("search %d: no file", i+1)
		case src.Top < 0:
			return fmt.Errorf("search %s: top %d < 0", src.File, src.Top)
		}
		for _, k := range []string{keyMembers, keyWidth} {
			if seen[k] {
				return fmt.Errorf("grid: %s is set by the search rows; drop it from the grid", k)
			}
		}
	}
	for _, st := range s.Set {
		switch {
		case seen[st.Key]:
			return fmt.Errorf("set: %s is also varied by the grid: give it in one place", st.Key)
		case len(s.Search) > 0 && (st.Key == keyMembers || st.Key == keyWidth):
			return fmt.Errorf("set: %s is set by the search rows; drop it from set", st.Key)
		}
	}
	for _, c := range s.Configs {
		if c.Name == "" || safeName(c.Name) != c.Name {
			return fmt.Errorf("configs: name %q: want letters, digits, '.', '+', '-' or '_'", c.Name)
		}
		for _, st := range c.Set {
			if seen[st.Key] {
				return fmt.Errorf("configs: %s sets %s, which the grid varies", c.Name, st.Key)
			}
		}
	}
	return s.Slurm.validate()
}

// validate checks the settings that go into the sbatch script's lines.
func (s Slurm) validate() error {
	if s.CPUsPerTask < 0 || s.Parallel < 0 || s.NTasks < 0 {
		return errors.New("slurm: cpus_per_task, parallel and ntasks must be ≥ 0")
	}
	for _, f := range []struct{ key, value string }{{"partition", s.Partition}, {"time", s.Time}, {"mpi", s.MPI}} {
		if strings.ContainsFunc(f.value, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\'' || r == '"' }) {
			return fmt.Errorf("slurm: %s %q: want one word, without spaces, quotes or control characters", f.key, f.value)
		}
	}
	for _, o := range s.Options {
		if !strings.HasPrefix(o, "--") || strings.ContainsFunc(o, unicode.IsControl) {
			return fmt.Errorf("slurm: option %q: want one --name=value, without control characters", o)
		}
	}
	return nil
}

// Config keys that search rows set.
const (
	keyMembers = "model.members"
	keyWidth   = "model.width"
	keySeed    = "seed"
)

// flatten turns a mapping (nested, or with dotted keys) into settings in
// document order; a sequence value stays one setting. A key that comes
// twice, however it is spelt, is an error naming both lines.
func flatten(n *yaml.Node) ([]Setting, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	var out []Setting
	lines := map[string]int{}
	if err := flattenInto(n, "", &out, lines); err != nil {
		return nil, err
	}
	return out, nil
}

func flattenInto(n *yaml.Node, prefix string, out *[]Setting, lines map[string]int) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping of settings", n.Line)
	}
	for i := 0; i < len(n.Content); i += 2 {
		kn, v := n.Content[i], n.Content[i+1]
		k := kn.Value
		if prefix != "" {
			k = prefix + "." + k
		}
		if v.Kind == yaml.MappingNode {
			if err := flattenInto(v, k, out, lines); err != nil {
				return err
			}
			continue
		}
		if line, ok := lines[k]; ok {
			return fmt.Errorf("%s is given twice (lines %d and %d)", k, line, kn.Line)
		}
		lines[k] = kn.Line
		text, err := valueText(v)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		*out = append(*out, Setting{k, text})
	}
	return nil
}

// axes reads the grid: a mapping of dotted keys to lists.
func axes(n *yaml.Node) ([]Axis, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want a mapping of keys to lists", n.Line)
	}
	var out []Axis
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		if v.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("%s (line %d): want a list of values", k, v.Line)
		}
		a := Axis{Key: k}
		for _, e := range v.Content {
			text, err := valueText(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			a.Values = append(a.Values, text)
		}
		out = append(out, a)
	}
	return out, nil
}

// valueText is a scalar's text, or a sequence as a YAML flow list.
func valueText(n *yaml.Node) (string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value, nil
	case yaml.SequenceNode:
		parts := make([]string, len(n.Content))
		for i, e := range n.Content {
			if e.Kind != yaml.ScalarNode {
				return "", fmt.Errorf("line %d: a list value holds only scalars", e.Line)
			}
			parts[i] = e.Value
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	return "", fmt.Errorf("line %d: want a value or a list of values", n.Line)
}

// readSearch reads the rows of one search output.
func readSearch(path string) ([]search.Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("search output: %w", err)
	}
	defer f.Close()
	var rows []search.Row
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r search.Row
		if err := strictdecode.JSON(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: not a `collegium search --format json` row: %w", path, line, err)
		}
		if r.M < 1 || r.N < 1 {
			return nil, fmt.Errorf("%s:%d: row without m and n", path, line)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no search rows", path)
	}
	return rows, nil
}
