package train

import (
	"strings"
	"testing"

	"github.com/collegium/collegium/internal/synth"
)

// TestHeadLimitsSplits: a limit keeps the first images and labels, 0 keeps
// all, and a limit past the split, a negative one or one for a streamed
// ImageNet tree is an error naming the setting.
func TestHeadLimitsSplits(t *testing.T) {
	d := synth.Dataset(50, 1)
	h, err := head(d, 20, "data.train_limit")
	if err != nil {
		t.Fatal(err)
	}
	if h.Len() != 20 || len(h.Images) != 20*d.ImageSize() || h.Labels[19] != d.Labels[19] || h.Images[len(h.Images)-1] != d.Images[20*d.ImageSize()-1] {
		t.Errorf("head 20 of 50: %d images, %d values", h.Len(), len(h.Images))
	}
	if all, err := head(d, 0, "data.train_limit"); err != nil || all.Len() != 50 {
		t.Errorf("limit 0: %v, %v", all, err)
	}
	if _, err := head(d, 51, "data.test_limit"); err == nil || !strings.Contains(err.Error(), "data.test_limit 51") {
		t.Errorf("limit past the split: %v", err)
	}
	c := testConfig(t.TempDir())
	c.Data.TrainLimit = -1
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "train_limit") {
		t.Errorf("negative limit: %v", err)
	}
	c.Data.Dataset, c.Data.TrainLimit = "imagenet", 0
	if err := c.Validate(); err != nil {
		t.Fatalf("imagenet without limits: %v", err)
	}
	for _, limit := range []*int{&c.Data.TrainLimit, &c.Data.TestLimit} {
		*limit = 100
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "streams its folder tree") {
			t.Errorf("imagenet with a limit: %v", err)
		}
		*limit = 0
	}
}
