// Package logs holds what the library packages share about the logger their
// caller passes in.
package logs

import (
	"io"

	"github.com/sirupsen/logrus"
)

// OrDiscard returns l, or, when l is nil, a logger whose lines are dropped:
// a library package logs only where its caller said.
func OrDiscard(l logrus.FieldLogger) logrus.FieldLogger {
	if l != nil {
		return l
	}
	d := logrus.New()
	d.Out = io.Discard
	return d
}
