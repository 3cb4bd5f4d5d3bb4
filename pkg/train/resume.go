package train

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Override is a setting that a resumed run changed: the dotted config key,
// the value before and after, and the first epoch and step trained with the
// new value. A run's overrides are kept in its checkpoint.json and listed
// at the top of its config.yaml, so that the config still accounts for the
// earlier epochs.
type Override struct {
	Key       string `json:"key"`
	Old       string `json:"old"`
	New       string `json:"new"`
	FromEpoch int    `json:"from_epoch"`
	FromStep  int    `json:"from_step"`
}

// String says what changed and from when, as config.yaml lists it.
func (o Override) String() string {
	return fmt.Sprintf("%s %s → %s from epoch %d (step %d)", o.Key, o.Old, o.New, o.FromEpoch, o.FromStep)
}

// fixedOnResume lists the settings a resumed run must keep (a key, or a
// prefix ending in "."): they define the model, the data and the order it
// is seen in, or the shape of the state in the checkpoint. Everything else
// (epochs, optimiser rates, schedule, evaluation batch, device, where the
// data is read from) may change and is recorded as an Override.
var fixedOnResume = []string{"model.", "data.dataset", "data.pad", "data.flip", "data.image_size", "data.color_jitter", "data.lighting", "batch_size", "seed", "dtype", "optimizer.kind"}

// CheckResume reports whether cfg may continue the run in dir: every
// setting that defines the model or the data must be the checkpoint's, and
// the run must not be shorter than the epochs already done. Run makes the
// same check; CheckResume lets a caller make it before loading anything.
func CheckResume(dir string, cfg Config) error {
	ck, err := readCheckpoint(dir)
	if err != nil {
		return err
	}
	_, err = resumeOverrides(ck, cfg)
	return err
}

// resumeOverrides compares cfg with the config of checkpoint ck and returns
// the changes, or an error naming those that are not allowed.
func resumeOverrides(ck checkpoint, cfg Config) ([]Override, error) {
	changes, err := diff(ck.Config, cfg)
	if err != nil {
		return nil, err
	}
	var out []Override
	var refused []string
	for _, c := range changes {
		o := Override{Key: c.key, Old: shown(c.old), New: shown(c.new), FromEpoch: ck.Epoch + 1, FromStep: ck.Step + 1}
		if slices.ContainsFunc(fixedOnResume, func(f string) bool { return c.key == f || strings.HasSuffix(f, ".") && strings.HasPrefix(c.key, f) }) {
			refused = append(refused, fmt.Sprintf("%s %s → %s", c.key, o.Old, o.New))
			continue
		}
		out = append(out, o)
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("resume: %s cannot change when a run is resumed (the checkpoint was trained with the model, data and data order they define); start a new run instead",
			strings.Join(refused, ", "))
	}
	if cfg.Epochs < ck.Epoch {
		return nil, fmt.Errorf("resume: epochs %d, but the run has already done %d", cfg.Epochs, ck.Epoch)
	}
	return out, nil
}

// Changes lists the settings in which cur differs from old, each as
// "key old → new", in key order ("out" aside).
func Changes(old, cur Config) ([]string, error) {
	changes, err := diff(old, cur)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(changes))
	for i, c := range changes {
		out[i] = fmt.Sprintf("%s %s → %s", c.key, shown(c.old), shown(c.new))
	}
	return out, nil
}

// change is one setting that differs between two configs, as YAML spells
// its values.
type change struct{ key, old, new string }

// diff lists the settings in which cur differs from old, in key order,
// "out" (where the run is written, not how it trains) aside.
func diff(old, cur Config) ([]change, error) {
	a, err := settings(old)
	if err != nil {
		return nil, err
	}
	b, err := settings(cur)
	if err != nil {
		return nil, err
	}
	var out []change
	for _, key := range slices.Sorted(maps.Keys(union(a, b))) {
		if key != "out" && a[key] != b[key] {
			out = append(out, change{key, a[key], b[key]})
		}
	}
	return out, nil
}

// settings flattens c into its dotted keys and their values as YAML spells
// them.
func settings(c Config) (map[string]string, error) {
	var doc yaml.Node
	if err := doc.Encode(c); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	out := map[string]string{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], prefix+n.Content[i].Value+".")
			}
		default:
			n.Style = yaml.FlowStyle
			v, _ := yaml.Marshal(n)
			out[strings.TrimSuffix(prefix, ".")] = strings.TrimSpace(string(v))
		}
	}
	walk(&doc, "")
	return out, nil
}

func union(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

// shown is a setting's value for messages: an omitted one is "unset".
func shown(v string) string {
	if v == "" {
		return "unset"
	}
	return v
}
