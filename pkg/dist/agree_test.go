package dist

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

// TestAgree runs Agree on 3 goroutine ranks: nobody failing gives nil
// everywhere; rank 1 failing alone gives every rank a shared error, rank 1
// its own and the others one that names rank 1 and carries its message;
// two failing ranks are both named.
func TestAgree(t *testing.T) {
	boom := errors.New("boom on disk")
	for _, c := range []struct {
		failing []int
		want    []string // per rank; "" means nil
	}{
		{nil, []string{"", "", ""}},
		{[]int{1}, []string{"rank 1 failed (rank 1: boom on disk)", "boom on disk", "rank 1 failed (rank 1: boom on disk)"}},
		{[]int{0, 2}, []string{"boom on disk", "ranks 0, 2 failed (rank 0: boom on disk)", "boom on disk"}},
	} {
		comms := newGoroutineWorld(3)
		got := make([]error, 3)
		var wg sync.WaitGroup
		for r, comm := range comms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				for _, f := range c.failing {
					if f == r {
						err = boom
					}
				}
				got[r] = Agree(comm, err)
			}()
		}
		wg.Wait()
		for r, err := range got {
			switch {
			case c.want[r] == "" && err != nil:
				t.Errorf("failing %v, rank %d: %v, want nil", c.failing, r, err)
			case c.want[r] != "" && (err == nil || err.Error() != c.want[r] || !IsShared(err)):
				t.Errorf("failing %v, rank %d: %v (shared %v), want the shared error %q", c.failing, r, err, IsShared(err), c.want[r])
			}
		}
		for _, f := range c.failing {
			if !errors.Is(got[f], boom) {
				t.Errorf("rank %d's own error is not kept: %v", f, got[f])
			}
		}
	}
	// One rank: the error is returned as it is.
	if err := Agree(Single{}, boom); err != boom {
		t.Errorf("Agree on one rank: %v", err)
	}
	long := errors.New(strings.Repeat("€", agreeMessage))
	comms := newGoroutineWorld(2)
	var other error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); Agree(comms[0], long) }()
	go func() { defer wg.Done(); other = Agree(comms[1], nil) }()
	wg.Wait()
	if other == nil || !strings.HasPrefix(other.Error(), "rank 0 failed (rank 0: €") || !strings.HasSuffix(other.Error(), "…)") {
		t.Errorf("a long message cut mid-rune: %.80q…", other)
	}
}
