package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/collegium/collegium/internal/logs"
	"github.com/collegium/collegium/pkg/train"
)

// Action is what running a point did.
type Action string

// The actions.
const (
	Skipped Action = "skipped" // finished before
	Started Action = "started" // trained from the beginning
	Resumed Action = "resumed" // continued from its checkpoint
)

// Outcome is the result of one point.
type Outcome struct {
	Point  Point
	Action Action
	Err    error
}

// LocalOptions configure running a plan's points as processes here.
type LocalOptions struct {
	// Train is the command that trains: the collegium executable and
	// "train"; "--config FILE" or "--resume DIR" is appended.
	Train []string
	// Parallel is how many points run at once (≥ 1).
	Parallel int
	// CPUs is the number of cores shared among the parallel processes:
	// each gets GOMAXPROCS = CPUs/Parallel (at least 1). 0 leaves
	// GOMAXPROCS unset.
	CPUs int
	// Only, when not nil, lists the indices of the points to run.
	Only []int
	// SignalledTogether says that the signal which cancels ctx reaches
	// the training processes too (a Slurm job step signals every process
	// in it): the sweep then passes none on, since a second signal would
	// end a training process before its checkpoint, and only waits.
	SignalledTogether bool
	// Log receives each point's start, skip and end (nil: the lines are
	// dropped).
	Log logrus.FieldLogger
}

// stopGrace is how long a training process may take to write its
// checkpoint after the interrupt.
const stopGrace = 5 * time.Minute

// RunLocal runs the points of p (all, or o.Only) as `collegium train`
// processes, o.Parallel at a time: a finished point is skipped, an
// interrupted one resumed from its checkpoint, others started, each from
// its frozen config (see Plan.FrozenConfig). Each process's output goes to
// logs/NAME.log in the sweep directory. When ctx is cancelled the running
// processes get one SIGINT (unless o.SignalledTogether), finish their step
// and checkpoint, and no new point starts. A process whose sweep dies
// (even by SIGKILL) is killed by the kernel; it resumes from its last
// checkpoint when the sweep is run again. The error reports every point
// that failed.
func (p *Plan) RunLocal(ctx context.Context, o LocalOptions) ([]Outcome, error) {
	if len(o.Train) == 0 || o.Parallel < 1 {
		return nil, errors.New("sweep: run: a train command and parallel ≥ 1 are needed")
	}
	o.Log = logs.OrDiscard(o.Log)
	todo := p.Points
	if o.Only != nil {
		todo = nil
		for _, i := range o.Only {
			if i < 0 || i >= len(p.Points) {
				return nil, fmt.Errorf("sweep: point %d: the sweep has points 0 to %d", i, len(p.Points)-1)
			}
			todo = append(todo, p.Points[i])
		}
	}
	if err := os.MkdirAll(filepath.Join(p.Dir, logsDir), 0o755); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	procs := 0
	if o.CPUs > 0 {
		procs = max(1, o.CPUs/o.Parallel)
	}
	outcomes := make([]Outcome, len(todo))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(o.Parallel, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				outcomes[i] = p.runPoint(ctx, todo[i], o, procs)
			}
		}()
	}
	for i := range todo {
		if ctx.Err() != nil {
			break
		}
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	var errs []error
	for i, out := range outcomes {
		if out.Action == "" && out.Err == nil {
			outcomes[i] = Outcome{Point: todo[i], Err: errors.New("not run: the sweep was interrupted")}
		}
		if outcomes[i].Err != nil {
			errs = append(errs, fmt.Errorf("point %s: %w", todo[i].Name, outcomes[i].Err))
		}
	}
	return outcomes, errors.Join(errs...)
}

// runPoint trains one point to its end, or skips it when it is finished.
func (p *Plan) runPoint(ctx context.Context, pt Point, o LocalOptions, procs int) Outcome {
	// The process is tied to this thread by its parent-death signal
	// (Pdeathsig fires when the thread that started it ends): keep the
	// thread until the process has been waited for.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	out := Outcome{Point: pt}
	st, err := train.ReadStatus(p.RunDir(pt))
	if err != nil {
		out.Err = err
		return out
	}
	args := append([]string(nil), o.Train[1:]...)
	switch {
	case st.Done():
		out.Action = Skipped
		o.Log.WithFields(logrus.Fields{"point": pt.Name, "epochs": st.Epoch}).Info("finished before: skipped")
		return out
	case st.Started:
		out.Action = Resumed
		args = append(args, "--resume", p.RunDir(pt))
	default:
		config, err := p.FrozenConfig(pt)
		if err != nil {
			out.Err = err
			return out
		}
		out.Action = Started
		args = append(args, "--config", config)
	}
	logPath := filepath.Join(p.Dir, logsDir, pt.Name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		out.Err = fmt.Errorf("log: %w", err)
		return out
	}
	defer f.Close()
	cmd := exec.Command(o.Train[0], args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = childAttr()
	cmd.Env = os.Environ()
	if procs > 0 {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(procs))
	}
	fields := logrus.Fields{"point": pt.Name, "log": logPath}
	if st.Started {
		fields["from_epoch"] = st.Epoch
	}
	o.Log.WithFields(fields).Info(string(out.Action))
	start := time.Now()
	if err := cmd.Start(); err != nil {
		out.Err = fmt.Errorf("start %s: %w", o.Train[0], err)
		return out
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		if !o.SignalledTogether {
			cmd.Process.Signal(syscall.SIGINT)
		}
		select {
		case err = <-done:
		case <-time.After(stopGrace):
			cmd.Process.Kill()
			err = <-done
		}
		if err == nil {
			err = errors.New("interrupted: checkpoint saved, run the sweep again to resume")
		} else {
			err = fmt.Errorf("interrupted: %w", err)
		}
	}
	if err != nil {
		out.Err = fmt.Errorf("%w (see %s)", err, logPath)
		return out
	}
	o.Log.WithFields(logrus.Fields{"point": pt.Name, "s": time.Since(start).Round(time.Second).Seconds()}).Info("finished")
	return out
}
