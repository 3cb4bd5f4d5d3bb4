package train

import (
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/sirupsen/logrus"
)

// progress reports the steps of one epoch.
type progress interface {
	// step reports that done steps of the epoch are finished, with the
	// epoch's mean loss so far and the last step's loss.
	step(done int, mean, last float64)
	finish()
}

// newProgress returns a bar with ETA and live loss on a terminal, and
// plain log lines at every quarter of the epoch otherwise.
func (r *run) newProgress() progress {
	epoch := r.ck.Epoch + 1
	acc := ""
	if n := len(r.ck.History); n > 0 {
		acc = fmt.Sprintf(" test acc %.2f%%", 100*r.ck.History[n-1].TestAcc)
	}
	if !r.opts.Terminal {
		return &logProgress{log: r.log, epoch: epoch, steps: r.perEpoch, every: max(r.perEpoch/4, 1)}
	}
	bar := progressbar.NewOptions(r.perEpoch,
		progressbar.OptionSetWriter(r.stderr()),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch, r.cfg.Epochs)),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("step"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	bar.Set(r.ck.EpochSteps)
	return &barProgress{bar: bar, prefix: fmt.Sprintf("epoch %d/%d", epoch, r.cfg.Epochs), acc: acc}
}

type barProgress struct {
	bar         *progressbar.ProgressBar
	prefix, acc string
}

func (p *barProgress) step(done int, mean, last float64) {
	p.bar.Describe(fmt.Sprintf("%s loss %.4f%s", p.prefix, mean, p.acc))
	p.bar.Set(done)
}

func (p *barProgress) finish() { p.bar.Finish() }

type logProgress struct {
	log                 *logrus.Logger
	epoch, steps, every int
}

func (p *logProgress) step(done int, mean, last float64) {
	if done%p.every == 0 && done < p.steps {
		p.log.WithFields(logrus.Fields{"epoch": p.epoch, "step": fmt.Sprintf("%d/%d", done, p.steps), "loss": round(mean, 5), "last_loss": round(last, 5)}).Info("training")
	}
}

func (p *logProgress) finish() {}
