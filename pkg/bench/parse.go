package bench

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// matmulKeys and convKeys are the keys a case string may set, what they
// mean, and whether they must be given.
var (
	matmulKeys = []caseKey{
		{"B", "batch rows", true},
		{"m", "groups (blocks)", false},
		{"n", "columns per group", true},
	}
	convKeys = []caseKey{
		{"N", "batch images", true},
		{"C", "channels in = out", true},
		{"H", "height", true},
		{"W", "width (default H)", false},
		{"g", "groups", false},
		{"k", "kernel size (default 3)", false},
		{"s", "stride (default 1)", false},
	}
)

type caseKey struct {
	name, meaning string
	required      bool
}

// ParseCase parses a case written either as "op:key=value,..." (e.g.
// "gconv:N=32,C=370,H=32,g=37", "blockdiag:B=128,m=16,n=64") or as its
// canonical name (e.g. "gconv-N32-C370-H32-g37", "dense-B128-1024"). The op
// is blockdiag, dense, gconv or conv; matmul keys are B, m, n and conv keys
// N, C, H, W, g, k, s.
func ParseCase(s string) (Case, error) {
	c, err := parseCase(strings.TrimSpace(s))
	if err != nil {
		return Case{}, fmt.Errorf("case %q: %w", s, err)
	}
	return c, nil
}

func parseCase(s string) (Case, error) {
	var (
		op     Op
		fields []string
		sep    string
	)
	if head, tail, ok := strings.Cut(s, ":"); ok {
		op, fields, sep = Op(head), strings.Split(tail, ","), "="
	} else {
		parts := strings.Split(s, "-")
		op, fields = Op(parts[0]), parts[1:]
	}
	switch op {
	case BlockDiag, Dense, GroupedConv, Conv:
	default:
		return Case{}, fmt.Errorf("unknown op %q (want blockdiag, dense, gconv or conv)", op)
	}
	isConv := op == GroupedConv || op == Conv
	keys, groupKey := matmulKeys, "m"
	if isConv {
		keys, groupKey = convKeys, "g"
	}
	vals, err := parseFields(fields, sep, op == Dense)
	if err != nil {
		return Case{}, err
	}
	known := map[string]bool{}
	var names []string
	for _, k := range keys {
		known[k.name] = true
		names = append(names, k.name+" ("+k.meaning+")")
		if _, ok := vals[k.name]; !ok && k.required {
			return Case{}, fmt.Errorf("missing %s (%s)", k.name, k.meaning)
		}
	}
	for k := range vals {
		if !known[k] {
			return Case{}, fmt.Errorf("unknown key %q for %s (keys: %s)", k, op, strings.Join(names, ", "))
		}
	}
	get := func(k string, def int) int {
		if v, ok := vals[k]; ok {
			return v
		}
		return def
	}
	var c Case
	if isConv {
		c = Case{Op: op, Batch: vals["N"], Channels: vals["C"], H: vals["H"], W: get("W", vals["H"]),
			Groups: get("g", 1), Kernel: get("k", 3), Stride: get("s", 1)}
	} else {
		m := get("m", 1)
		c = Case{Op: op, Batch: vals["B"], Groups: m, Channels: m * vals["n"]}
	}
	if op == GroupedConv || op == BlockDiag {
		if _, ok := vals[groupKey]; !ok {
			return Case{}, fmt.Errorf("%s needs its number of groups %s", op, groupKey)
		}
	}
	return c, c.Validate()
}

// parseFields reads "key<sep>value" fields (sep "=") or "keyvalue" tokens
// (sep "": the key is the leading letters); a bare number is n when bareN.
func parseFields(fields []string, sep string, bareN bool) (map[string]int, error) {
	vals := map[string]int{}
	for _, f := range fields {
		f = strings.TrimSpace(f)
		var k, v string
		if sep != "" {
			var ok bool
			if k, v, ok = strings.Cut(f, sep); !ok {
				return nil, fmt.Errorf("field %q is not key=value", f)
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		} else {
			i := strings.IndexFunc(f, func(r rune) bool { return !unicode.IsLetter(r) })
			if i < 0 {
				i = len(f)
			}
			k, v = f[:i], f[i:]
			if k == "" && bareN {
				k = "n"
			}
		}
		if k == "" {
			return nil, fmt.Errorf("field %q has no key", f)
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%s=%q is not a positive integer", k, v)
		}
		if _, dup := vals[k]; dup {
			return nil, fmt.Errorf("%s given twice", k)
		}
		vals[k] = n
	}
	return vals, nil
}
