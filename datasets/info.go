package datasets

import "context"

// Info describes a dataset as found on disk, checksum mismatches included
// (where Load would fail), for `collegium data info`.
type Info struct {
	Spec     Spec
	Location Location
	Splits   []SplitInfo
}

// SplitInfo describes one split: its size, images per class, and the
// checksum status of its files.
type SplitInfo struct {
	Split       Split
	Count       int
	ClassCounts []int
	Checks      []FileCheck
}

// Inspect finds a dataset and reads both splits without normalising them.
func (r Resolver) Inspect(ctx context.Context, spec Spec) (Info, error) {
	loc, err := r.Find(ctx, spec)
	if err != nil {
		return Info{}, err
	}
	info := Info{Spec: spec, Location: loc}
	for _, split := range []Split{Train, Test} {
		raw, err := readSplit(spec, loc.Dir, split)
		if err != nil {
			return Info{}, err
		}
		s := SplitInfo{Split: split, Count: len(raw.labels), ClassCounts: make([]int, spec.Classes), Checks: raw.checks}
		for _, l := range raw.labels {
			s.ClassCounts[l]++
		}
		info.Splits = append(info.Splits, s)
	}
	return info, nil
}
