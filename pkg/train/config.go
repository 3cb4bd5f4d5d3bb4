package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/internal/atomicfile"
	"github.com/collegium/collegium/internal/strictdecode"
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
	// SyncBN normalises by the statistics of the whole global batch when
	// training over several ranks; without it each rank's BN uses the
	// statistics of its own share (PyTorch DDP's default).
	SyncBN bool `yaml:"sync_bn" json:"sync_bn"`
	// Out is the run directory; empty means runs/<timestamp>.
	Out string `yaml:"out" json:"out"`
}

// Data selects the dataset and its augmentation.
type Data struct {
	// Dataset is a name known to package datasets ("mnist", ...), or
	// "imagenet", a folder tree read as the run goes (see ImageFolders).
	Dataset string `yaml:"dataset" json:"dataset"`
	// Dir is where to look first; empty means $COLLEGIUM_DATA, then the
	// copies that need no download. For imagenet it is the tree itself,
	// Dir/train/CLASS/*.JPEG and Dir/val/CLASS/*.JPEG (empty:
	// $COLLEGIUM_DATA/imagenet).
	Dir string `yaml:"dir" json:"dir"`
	// ImageSize (imagenet only; 0 means 224) is the side of the square
	// images: random-resized crops resampled to it in training, the centre
	// of the image resized to datasets.EvalResize(ImageSize) in evaluation.
	ImageSize int `yaml:"image_size,omitempty" json:"image_size,omitempty"`
	// ColorJitter > 0 (imagenet only) scales brightness, contrast and
	// saturation of training images by factors drawn from [1 − ColorJitter,
	// 1 + ColorJitter]; the ResNeXt reference uses 0.4.
	ColorJitter float64 `yaml:"color_jitter,omitempty" json:"color_jitter,omitempty"`
	// Lighting > 0 (imagenet only) adds AlexNet's PCA colour noise of that
	// standard deviation to training images; the ResNeXt reference uses 0.1.
	Lighting float64 `yaml:"lighting,omitempty" json:"lighting,omitempty"`
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
// checked once the dataset has filled in its input shape and classes, and
// data.pad against the image size when the dataset is one package datasets
// knows, else once the data is loaded).
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
	case c.Device == "":
		return errors.New("device is empty: want cpu or cuda:N")
	case c.Data.Dataset == "":
		return errors.New("data.dataset is empty")
	case c.Data.Pad < 0:
		return fmt.Errorf("data.pad %d: must be ≥ 0", c.Data.Pad)
	case c.Data.TrainLimit < 0 || c.Data.TestLimit < 0:
		return fmt.Errorf("data.train_limit %d, data.test_limit %d: must be ≥ 0 (0 keeps every image)", c.Data.TrainLimit, c.Data.TestLimit)
	case IsImageNet(c.Data.Dataset) && (c.Data.TrainLimit != 0 || c.Data.TestLimit != 0):
		return fmt.Errorf("data.train_limit, data.test_limit: for datasets held in memory; %s streams its folder tree (point data.dir at a smaller tree instead)", c.Data.Dataset)
	}
	if spec, err := datasets.Lookup(c.Data.Dataset); err == nil {
		if err := checkPad(c.Data.Pad, spec.Height, spec.Width); err != nil {
			return err
		}
	}
	if err := c.Data.checkImageSettings(); err != nil {
		return err
	}
	if err := c.Optimizer.Validate(); err != nil {
		return err
	}
	if err := c.Schedule.Validate(); err != nil {
		return err
	}
	switch s := c.Schedule; {
	case s.Kind == ScheduleCosine && s.MinLR > c.Optimizer.LR:
		return fmt.Errorf("schedule: min_lr %v is above the base lr %v", s.MinLR, c.Optimizer.LR)
	case s.WarmupEpochs >= float64(c.Epochs):
		return fmt.Errorf("schedule: warmup_epochs %v must be shorter than the run's %d epochs", s.WarmupEpochs, c.Epochs)
	case s.Kind != ScheduleMultiStep && len(s.Milestones) > 0:
		return fmt.Errorf("schedule %s: milestones %v are for schedule multistep only: drop them or choose multistep", s.Kind, s.Milestones)
	case s.Kind == ScheduleMultiStep && len(s.Milestones) > 0 && s.Milestones[len(s.Milestones)-1] >= c.Epochs:
		return fmt.Errorf("schedule multistep: milestone %d is not before the last epoch of the run's %d (a milestone m lowers the rate from epoch m+1): it would never apply",
			s.Milestones[len(s.Milestones)-1], c.Epochs)
	}
	if c.SyncBN && !c.Model.Family.HasBN() {
		return fmt.Errorf("sync_bn: model family %s has no BN layers to synchronise", c.Model.Family)
	}
	return nil
}

// checkPad bounds the random-crop padding: a crop keeps at least half of
// an h×w image in each direction.
func checkPad(pad, h, w int) error {
	if pad > min(h, w)/2 {
		return fmt.Errorf("data.pad %d: at most %d for %d×%d images (CIFAR's reference is 4)", pad, min(h, w)/2, h, w)
	}
	return nil
}

// LoadConfig reads path (JSON when it ends in .json, YAML otherwise) over
// Default, so a file need only name what it changes. The file must hold one
// document of known keys, none twice, integers where integers are meant
// (see package strictdecode).
func LoadConfig(path string) (Config, error) {
	c := Default()
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read config: %w", err)
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		err = strictdecode.JSON(b, &c)
	} else {
		err = strictdecode.YAML(b, &c)
	}
	if errors.Is(err, strictdecode.ErrEmpty) {
		return c, fmt.Errorf("config %s is empty: it must set at least one key (see docs/TRAINING.md)", path)
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

// writeRunConfig writes the run's config.yaml: the config of ck, headed by
// comments listing the settings its resumes changed and from when.
func writeRunConfig(dir string, ck checkpoint) error {
	b, err := yaml.Marshal(ck.Config)
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	var head bytes.Buffer
	if len(ck.Overrides) > 0 {
		head.WriteString("# Settings changed when the run was resumed (the values below are the latest):\n")
		for _, o := range ck.Overrides {
			fmt.Fprintf(&head, "#   %s\n", o)
		}
	}
	return atomicfile.WriteBytes(filepath.Join(dir, configFile), append(head.Bytes(), b...))
}

// Set overrides one setting by its dotted YAML path, e.g. "optimizer.lr"
// = "0.05" or "schedule.milestones" = "[150,225]". The value is read as a
// YAML scalar (or a flow sequence when it starts with "[") of the field's
// type; "" is the empty string (an error for a number), and a number must
// be finite.
func (c *Config) Set(key, value string) error {
	if key == "" {
		return errors.New("set: empty key")
	}
	node := &yaml.Node{Kind: yaml.ScalarNode, Value: value}
	switch f, err := strconv.ParseFloat(value, 64); {
	case value == "":
		node.Tag, node.Style = "!!str", yaml.DoubleQuotedStyle
	case err == nil && (math.IsNaN(f) || math.IsInf(f, 0)):
		return fmt.Errorf("set %s: %q is not a finite number", key, value)
	case strings.HasPrefix(value, "["):
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
	if err := strictdecode.YAML(b, c); err != nil {
		return fmt.Errorf("set %s = %q: %w", key, value, err)
	}
	return nil
}
