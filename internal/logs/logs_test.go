package logs

import (
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

// TestOrDiscard checks that a passed logger gets the lines and that a nil
// one sends none to logrus's standard logger.
func TestOrDiscard(t *testing.T) {
	l, hook := test.NewNullLogger()
	OrDiscard(l).Info("kept")
	if len(hook.AllEntries()) != 1 {
		t.Fatalf("a passed logger got %d entries, want 1", len(hook.AllEntries()))
	}
	stdHook := test.NewGlobal()
	defer logrus.StandardLogger().ReplaceHooks(logrus.LevelHooks{})
	OrDiscard(nil).Error("dropped")
	if n := len(stdHook.AllEntries()); n != 0 {
		t.Fatalf("nil: %d entries reached the standard logger, want 0", n)
	}
}
