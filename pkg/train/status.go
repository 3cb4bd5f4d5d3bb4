package train

import (
	"errors"
	"os"
	"path/filepath"
)

// Status is how far the run in a directory has got, from its checkpoint.
type Status struct {
	// Started says a checkpoint exists (the run can be resumed).
	Started bool
	// Epoch is the number of completed epochs, Epochs the run's length.
	Epoch, Epochs int
}

// Done reports whether every epoch of the run is complete.
func (s Status) Done() bool { return s.Started && s.Epoch >= s.Epochs }

// ReadStatus reads the status of the run in dir. A directory without a
// checkpoint (or no directory) is a run not started, not an error.
func ReadStatus(dir string) (Status, error) {
	if _, err := os.Stat(filepath.Join(dir, checkpointJSON)); errors.Is(err, os.ErrNotExist) {
		return Status{}, nil
	}
	ck, err := readCheckpoint(dir)
	if err != nil {
		return Status{}, err
	}
	return Status{Started: true, Epoch: ck.Epoch, Epochs: ck.Config.Epochs}, nil
}
