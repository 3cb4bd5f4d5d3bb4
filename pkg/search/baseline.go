package search

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// ErrBadBaseline is wrapped by errors about a baseline name.
var ErrBadBaseline = errors.New(`bad baseline: want "CxWd", e.g. 1x128d or 32x4d`)

var baselineRE = regexp.MustCompile(`^([0-9]+)[xX×]([0-9]+)d$`)

// ParseBaseline reads a "CxWd" name: C members (cardinality) of width W.
func ParseBaseline(name string) (m, n int, err error) {
	g := baselineRE.FindStringSubmatch(name)
	if g == nil {
		return 0, 0, fmt.Errorf("%q: %w", name, ErrBadBaseline)
	}
	m, err = strconv.Atoi(g[1])
	if err != nil {
		return 0, 0, fmt.Errorf("%q: cardinality: %w", name, ErrBadBaseline)
	}
	n, err = strconv.Atoi(g[2])
	if err != nil {
		return 0, 0, fmt.Errorf("%q: width: %w", name, ErrBadBaseline)
	}
	if m < 1 || n < 1 {
		return 0, 0, fmt.Errorf("%q: cardinality and width must be ≥ 1: %w", name, ErrBadBaseline)
	}
	return m, n, nil
}

// BaselineName writes m members of width n as "CxWd".
func BaselineName(m, n int) string { return fmt.Sprintf("%dx%dd", m, n) }
