package train

import (
	"math"
	"testing"
)

func TestScheduleLR(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	multi := Schedule{Kind: ScheduleMultiStep, Milestones: []int{2, 3}, Gamma: 0.1}
	for step, want := range []float64{1, 1, 1, 1, 0.1, 0.1, 0.01, 0.01} {
		if got := multi.LR(1, step, 2, 4); !near(got, want) {
			t.Errorf("multistep step %d: %v, want %v", step, got, want)
		}
	}
	cos := Schedule{Kind: ScheduleCosine, MinLR: 0.1}
	for step, want := range map[int]float64{0: 1, 5: 0.55, 10: 0.1, 12: 0.1} {
		if got := cos.LR(1, step, 5, 2); !near(got, want) {
			t.Errorf("cosine step %d: %v, want %v", step, got, want)
		}
	}
	warm := Schedule{Kind: ScheduleCosine, WarmupEpochs: 1}
	for step, want := range map[int]float64{0: 0.25, 3: 1, 4: 1, 10: 0.5, 16: 0} {
		if got := warm.LR(1, step, 4, 4); !near(got, want) {
			t.Errorf("warmup+cosine step %d: %v, want %v", step, got, want)
		}
	}
	if got := (Schedule{Kind: ScheduleConstant}).LR(0.3, 99, 10, 2); got != 0.3 {
		t.Errorf("constant: %v", got)
	}
}

func TestScheduleValidate(t *testing.T) {
	for _, s := range []Schedule{
		{Kind: "step"},
		{Kind: ScheduleMultiStep, Gamma: 0},
		{Kind: ScheduleMultiStep, Gamma: 0.1, Milestones: []int{3, 2}},
		{Kind: ScheduleCosine, WarmupEpochs: -1},
	} {
		if s.Validate() == nil {
			t.Errorf("%+v: want an error", s)
		}
	}
}
