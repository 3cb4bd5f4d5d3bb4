package strictdecode

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type inner struct {
	Rate  float64 `json:"rate" yaml:"rate"`
	Steps []int   `json:"steps,omitempty" yaml:"steps,omitempty"`
}

type outer struct {
	Epochs int              `json:"epochs" yaml:"epochs"`
	Seed   uint64           `json:"seed" yaml:"seed"`
	Name   string           `json:"name" yaml:"name"`
	Opt    inner            `json:"opt" yaml:"opt"`
	Tags   map[string]int   `json:"tags,omitempty" yaml:"tags,omitempty"`
	Raw    json.RawMessage  `json:"raw,omitempty" yaml:"-"`
	Ptr    *inner           `json:"ptr,omitempty" yaml:"ptr,omitempty"`
	Many   []inner          `json:"many,omitempty" yaml:"many,omitempty"`
	Extra  map[string]inner `json:"extra,omitempty" yaml:"extra,omitempty"`
	Small  uint8            `json:"small,omitempty" yaml:"small,omitempty"`
	Tiny   int8             `json:"tiny,omitempty" yaml:"tiny,omitempty"`
	Node   yaml.Node        `json:"-" yaml:"node,omitempty"`
}

func TestJSONAccepts(t *testing.T) {
	var got outer
	in := `{"epochs": 3, "seed": 18446744073709551615, "name": "a", "opt": {"rate": 0.5, "steps": [1, 2]},
	        "tags": {"x": 1, "X": 2}, "raw": {"k": 1, "K": [1, {"k": 2}]}, "ptr": {"rate": 1}, "many": [{"rate": 2}]}` + "\n\t "
	if err := JSON([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	want := outer{Epochs: 3, Seed: 1<<64 - 1, Name: "a", Opt: inner{0.5, []int{1, 2}}, Tags: map[string]int{"x": 1, "X": 2},
		Raw: json.RawMessage(`{"k": 1, "K": [1, {"k": 2}]}`), Ptr: &inner{Rate: 1}, Many: []inner{{Rate: 2}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestJSONRefuses(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{``, "empty"},
		{" \n", "empty"},
		{`{"epochs": 3} x`, "more data after the JSON value"},
		{`{"epochs": 3}{"epochs": 4}`, "more data after the JSON value"},
		{`{"epochs": 3}` + "\n" + `{"epochs": 4}`, "more data after the JSON value"},
		{`{"epochs": 3, "epochs": 4}`, `$: key "epochs" appears twice`},
		{`{"opt": {"rate": 1, "rate": 2}}`, `$.opt: key "rate" appears twice`},
		{`{"tags": {"a": 1, "a": 2}}`, `$.tags: key "a" appears twice`},
		{`{"raw": [{"k": 1, "k": 1}]}`, `$.raw[0]: key "k" appears twice`},
		{`{"many": [{"rate": 1}, {"rate": 1, "rate": 2}]}`, `$.many[1]: key "rate" appears twice`},
		{`{"Epochs": 3}`, `unknown key "Epochs" (did you mean "epochs"?)`},
		{`{"epoch": 3}`, `$: unknown key "epoch"`},
		{`{"opt": {"lr": 3}}`, `$.opt: unknown key "lr"`},
		{`{"ptr": {"lr": 3}}`, `$.ptr: unknown key "lr"`},
		{`{"extra": {"a": {"lr": 3}}}`, `$.extra.a: unknown key "lr"`},
		{`{"epochs": 1.5}`, "cannot unmarshal number 1.5"},
		{`{"epochs": 3`, "EOF"},
	} {
		var v outer
		err := JSON([]byte(c.in), &v)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error containing %q", c.in, err, c.want)
		}
	}
	if err := JSON(nil, new(outer)); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty input: %v, want ErrEmpty", err)
	}
}

func TestYAMLAccepts(t *testing.T) {
	var got outer
	in := "# a comment\nepochs: 3\nseed: 7\nopt:\n  rate: 1\n  steps: [1, 2]\nmany:\n  - rate: 2\ntags: {a: 1}\n"
	if err := YAML([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	want := outer{Epochs: 3, Seed: 7, Opt: inner{1, []int{1, 2}}, Many: []inner{{Rate: 2}}, Tags: map[string]int{"a": 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	// The ends of the integer ranges, and a yaml.Node taken as it is.
	in = "seed: 18446744073709551615\nepochs: -9223372036854775808\nsmall: 255\ntiny: -128\nnode: {any: [thing, 1.5]}\n"
	var ends outer
	if err := YAML([]byte(in), &ends); err != nil || ends.Seed != 1<<64-1 || ends.Epochs != -1<<63 || ends.Small != 255 || ends.Tiny != -128 ||
		ends.Node.Kind != yaml.MappingNode || ends.Node.Content[0].Value != "any" {
		t.Errorf("range ends and a node: %+v, %v", ends, err)
	}
	// A file need only name what it changes: decoding merges into v.
	keep := outer{Name: "kept", Epochs: 1}
	if err := YAML([]byte("epochs: 2\n"), &keep); err != nil || keep.Name != "kept" || keep.Epochs != 2 {
		t.Errorf("merge: %+v, %v", keep, err)
	}
}

func TestYAMLRefuses(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "empty"},
		{"# only a comment\n", "empty"},
		{"epochs: 1.5\n", `line 1: epochs: "1.5" is not an integer`},
		{"epochs: 1e3\n", `"1e3" is not an integer`},
		{"seed: -1\n", "line 1: seed: -1 is out of range: want an integer from 0 to 18446744073709551615"},
		{"seed: 18446744073709551616\n", "seed: 18446744073709551616 is out of range: want an integer from 0 to 18446744073709551615"},
		{"epochs: -9223372036854775809\n", "epochs: -9223372036854775809 is out of range: want an integer from -9223372036854775808 to 9223372036854775807"},
		{"small: 256\n", "small: 256 is out of range: want an integer from 0 to 255"},
		{"tiny: -129\n", "tiny: -129 is out of range: want an integer from -128 to 127"},
		{"epochs: \"3\"\n", `"3" is not an integer`},
		{"epochs: ~\n", "is not an integer"},
		{"opt:\n  steps: [1, 2.5]\n", `line 2: opt.steps[1]: "2.5" is not an integer`},
		{"tags:\n  a: 0.5\n", `tags.a: "0.5" is not an integer`},
		{"epochs: 3\nepochs: 4\n", `line 2: key "epochs" appears twice (lines 1 and 2)`},
		{"opt:\n  rate: 1\n  rate: 2\n", `line 3: key "opt.rate" appears twice (lines 2 and 3)`},
		{"tags:\n  a: 1\n  a: 2\n", `line 3: key "tags.a" appears twice (lines 2 and 3)`},
		{"epochs: 3\n---\nepochs: 4\n", "a second YAML document: one is allowed"},
		{"epochz: 3\n", `unknown key "epochz"`},
		{"Epochs: 3\n", `did you mean "epochs"?`},
		{"opt:\n  lr: 3\n", `line 2: opt: unknown key "lr"`},
		{"opt: 3\n", "opt: want a mapping"},
		{"- 1\n- 2\n", "want a mapping"},
		{"~\n", "want a mapping"},
	} {
		var v outer
		err := YAML([]byte(c.in), &v)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error containing %q", c.in, err, c.want)
		}
	}
}
