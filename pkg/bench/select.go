package bench

import (
	"errors"
	"fmt"
)

// Selection is what to benchmark: a preset's cases followed by the cases
// given one by one, and the passes to time.
type Selection struct {
	Preset      string   // preset name, or "" for none
	Cases       []string // case strings for ParseCase
	Equivalents bool     // follow each grouped case of Cases by its dense equivalents
	Passes      string   // pass list for ParsePasses; "" is the preset's passes, else all
}

// Resolve parses s into cases and passes. No cases is not an error: the
// caller may only want peaks.
func (s Selection) Resolve() ([]Case, []Pass, error) {
	var cases []Case
	passes := AllPasses
	if s.Preset != "" {
		p, err := LookupPreset(s.Preset)
		if err != nil {
			return nil, nil, err
		}
		cases, passes = append(cases, p.Cases...), p.Passes
	}
	var given []Case
	var errs []error
	for _, str := range s.Cases {
		c, err := ParseCase(str)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		given = append(given, c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	if s.Equivalents {
		given = WithEquivalents(given)
	}
	cases = append(cases, given...)
	if s.Passes != "" {
		var err error
		if passes, err = ParsePasses(s.Passes); err != nil {
			return nil, nil, fmt.Errorf("passes: %w", err)
		}
	}
	return cases, passes, nil
}
