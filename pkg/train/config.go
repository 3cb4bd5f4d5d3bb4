package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/collegium/collegium/internal/atomicfile"
	"github.com/collegium/collegium/pkg/models"
)

// Config is every setting of a run. It is read from YAML or JSON, and
// single settings are overridden by Set (the CLI's flags). Model.Classes and
// Model.Input may be left zero: the run fills them from the dataset.
type Config struct {
	Model models.Spec `yaml:"model" json:"model"`
	Data  Data        `yaml:"data" json:"data"`
	// Epochs is the length of the run.
	Epochs int `yaml:"epochs" json:"epochs"`
	// BatchSize is the training batch; the last partial batch of an epoch
	// is dropped.
	BatchSize int `yaml:"batch_size" json:"batch_size"`
	// EvalBatchSize is the evaluation batch (every test image is used).
	EvalBatchSize int       `yaml:"eval_batch_size" json:"eval_batch_size"`
	Optimizer     Optimizer `yaml:"optimizer" json:"optimizer"`
	Schedule      Schedule  `yaml:"schedule" json:"schedule"`
	// Seed drives the initialisation, the shuffling and the augmentation.
	Seed uint64 `yaml:"seed" json:"seed"`
	// Device is "cpu" or "cuda:N".
	Device string `yaml:"device" json:"device"`
	// Dtype is "float32" or "float64".
	Dtype string `yaml:"dtype" json:"dtype"`
	// TF32 runs float32 matrix products on TF32 tensor cores (a GPU of
	// compute capability 8.0 or newer; see device.TF32Switch).
	TF32 bool `yaml:"tf32" json:"tf32"`
	// Out is the run directory; empty means runs/<timestamp>.
	Out string `yaml:"out" json:"out"`
}

// Data selects the dataset and its augmentation.
type Data struct {
	// Dataset is a name known to package datasets ("mnist", ...).
	Dataset string `yaml:"dataset" json:"dataset"`
	// Dir is where to look first; empty means $COLLEGIUM_DATA, then the
	// copies that need no download.
	Dir string `yaml:"dir" json:"dir"`
	// Pad > 0 trains on random crops of the image padded by Pad pixels.
	Pad int `yaml:"pad" json:"pad"`
	// Flip mirrors training images left-right at random.
	Flip bool `yaml:"flip" json:"flip"`
	// TrainLimit and TestLimit, when > 0, keep only the first that many
	// images of each split (quick runs and tests).
	TrainLimit int `yaml:"train_limit,omitempty" json:"train_limit,omitempty"`
	TestLimit  int `yaml:"test_limit,omitempty" json:"test_limit,omitempty"`
}

// Default is the configuration of `collegium train` with no arguments: a
// 4-member MLP-CE of width 128 with 2 hidden layers (the second
// block-diagonal) on MNIST, 6 epochs of SGD with cosine annealing on the
// CPU (see docs/TRAINING.md for the measurements behind it).
func Default() Config {
	return Config{
		Model: models.Spec{
			Family: models.MLP, Members: 4, Width: 128, Depth: 2,
			Aggregation: models.AggregateMean, Parameterization: models.Standard,
		},
		Data:          Data{Dataset: "mnist"},
		Epochs:        6,
		BatchSize:     128,
		EvalBatchSize: 1000,
		Optimizer: Optimizer{
			Kind: OptSGD, LR: 0.1, Momentum: 0.9, WeightDecay: 1e-4,
			Beta1: 0.9, Beta2: 0.999, Eps: 1e-8,
		},
		Schedule: Schedule{Kind: ScheduleCosine, Gamma: 0.1},
		Seed:     1,
		Device:   "cpu",
		Dtype:    "float32",
	}
}

// Validate reports the first bad training setting (the model spec is
// checked once the dataset has filled in its input shape and classes).
func (c Config) Validate() error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("epochs %d: must be ≥ 1", c.Epochs)
	case c.BatchSize < 1:
		return fmt.Errorf("batch_size %d: must be ≥ 1", c.BatchSize)
	case c.EvalBatchSize < 1:
		return fmt.Errorf("eval_batch_size %d: must be ≥ 1", c.EvalBatchSize)
	case c.Dtype != "float32" && c.Dtype != "float64":
		return fmt.Errorf("dtype %q: want float32 or float64", c.Dtype)
	case c.TF32 && c.Dtype != "float32":
		return fmt.Errorf("tf32 rounds float32 matrix products; it does not apply to dtype %s", c.Dtype)
	case c.Data.Dataset == "":
		return errors.New("data.dataset is empty")
	case c.Data.Pad < 0:
		return fmt.Errorf("data.pad %d: must be ≥ 0", c.Data.Pad)
	case c.Data.TrainLimit < 0 || c.Data.TestLimit < 0:
		return fmt.Errorf("data.train_limit %d, data.test_limit %d: must be ≥ 0 (0 keeps every image)", c.Data.TrainLimit, c.Data.TestLimit)
	}
	if err := c.Optimizer.Validate(); err != nil {
		return err
	}
	return c.Schedule.Validate()
}

// LoadConfig reads path (JSON when it ends in .json, YAML otherwise) over
// Default, so a file need only name what it changes. Unknown keys are
// errors.
func LoadConfig(path string) (Config, error) {
	c := Default()
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read config: %w", err)
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		err = d.Decode(&c)
	} else {
		d := yaml.NewDecoder(bytes.NewReader(b))
		d.KnownFields(true)
		err = d.Decode(&c)
	}
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Save writes c to path as YAML (JSON when path ends in .json).
func (c Config) Save(path string) error {
	var b []byte
	var err error
	if strings.EqualFold(filepath.Ext(path), ".json") {
		b, err = json.MarshalIndent(c, "", "  ")
	} else {
		b, err = yaml.Marshal(c)
	}
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	return atomicfile.WriteBytes(path, b)
}

// Set overrides one setting by its dotted YAML path, e.g. "optimizer.lr"
// = "0.05" or "schedule.milestones" = "[150,225]". The value is read as a
// YAML scalar (or a flow sequence when it starts with "[") of the field's
// type.
func (c *Config) Set(key, value string) error {
	if key == "" {
		return errors.New("set: empty key")
	}
	node := &yaml.Node{Kind: yaml.ScalarNode, Value: value}
	if strings.HasPrefix(value, "[") {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(value), &doc); err != nil || len(doc.Content) != 1 {
			return fmt.Errorf("set %s: %q is not a YAML list", key, value)
		}
		node = doc.Content[0]
	}
	parts := strings.Split(key, ".")
	for i := len(parts) - 1; i >= 0; i-- {
		node = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: parts[i]}, node}}
	}
	b, err := yaml.Marshal(node)
	if err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	}
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(c); err != nil {
		return fmt.Errorf("set %s = %q: %w", key, value, err)
	}
	return nil
}
