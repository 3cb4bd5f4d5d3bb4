package dist

import (
	"errors"
	"fmt"
	"strings"
)

// SharedError is an error that every rank of a job returns at the same
// point (Agree made it so, or every rank computes it alike), so the ranks
// can leave the job together (Close) instead of ending it with Abort.
type SharedError struct{ Err error }

func (e *SharedError) Error() string { return e.Err.Error() }

func (e *SharedError) Unwrap() error { return e.Err }

// Shared marks err, which every rank returns at the same point, as a
// SharedError (nil stays nil).
func Shared(err error) error {
	if err == nil {
		return nil
	}
	return &SharedError{Err: err}
}

// IsShared reports whether err is, or wraps, a SharedError.
func IsShared(err error) bool {
	var se *SharedError
	return errors.As(err, &se)
}

// agreeMessage bounds the length of the failure message Agree passes on.
const agreeMessage = 1024

// Agree tells every rank of c whether any rank failed at this point; each
// passes its own error (nil when it did not fail). It is a collective:
// call it on every rank where one rank can fail alone (taking the run
// directory, loading data), so that no rank goes on to wait in a
// collective that a failed rank never joins. When no rank failed it
// returns nil everywhere. Otherwise every rank returns a SharedError: its
// own error, or, on a rank that did not fail, one naming the first rank
// that failed with that rank's message. An error of the collectives
// themselves is returned as it is (not shared).
func Agree(c Comm, err error) error {
	if c.Size() == 1 {
		return err
	}
	failed := make([]float64, c.Size())
	if err != nil {
		failed[c.Rank()] = 1
	}
	if rerr := c.AllReduceSum64(failed); rerr != nil {
		return fmt.Errorf("dist: agree: %w", rerr)
	}
	var ranks []string
	first := -1
	for r, f := range failed {
		if f > 0 {
			ranks = append(ranks, fmt.Sprint(r))
			if first < 0 {
				first = r
			}
		}
	}
	if first < 0 {
		return nil
	}
	msg := make([]byte, agreeMessage)
	if c.Rank() == first {
		copy(msg, err.Error())
	}
	if berr := c.Broadcast(msg, first); berr != nil {
		return fmt.Errorf("dist: agree: %w", berr)
	}
	if err != nil {
		return Shared(err)
	}
	who := "rank " + ranks[0]
	if len(ranks) > 1 {
		who = "ranks " + strings.Join(ranks, ", ")
	}
	return Shared(fmt.Errorf("%s failed (rank %d: %s)", who, first, strings.ToValidUTF8(strings.TrimRight(string(msg), "\x00"), "…")))
}
