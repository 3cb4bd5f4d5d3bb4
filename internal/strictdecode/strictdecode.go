// Package strictdecode reads JSON and YAML into Go values without the
// leniencies of encoding/json and yaml.v3, which accept input that says
// something other than what the value ends up holding:
//
//   - exactly one document or value, and nothing after it (encoding/json's
//     Decoder stops after the first value; yaml.v3 reads only the first of
//     several documents);
//   - no key twice in one object or mapping (encoding/json keeps the
//     last; yaml.v3 refuses it in a message of several lines);
//   - for structs, only keys that name a field exactly as its tag spells it
//     (encoding/json ignores unknown keys and matches case-insensitively);
//   - integer fields only from integers (yaml.v3 truncates 1.5 to 1), and
//     only within the field's range, which the error names;
//   - an empty input is an error of its own, ErrEmpty, not "EOF".
package strictdecode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrEmpty is returned for an input that holds no value (nothing, or only
// white space and comments).
var ErrEmpty = errors.New("empty: no value in it")

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
	yamlNode        = reflect.TypeFor[yaml.Node]()
	decimal         = regexp.MustCompile(`^[-+]?[0-9]+$`)
)

// JSON decodes data, which must hold exactly one JSON value, into v (a
// pointer), refusing what the package comment lists.
func JSON(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return ErrEmpty
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := checkJSON(dec, reflect.TypeOf(v), "$"); err != nil {
		return err
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err == nil {
			return fmt.Errorf("more data after the JSON value (at byte %d: %v): one value is allowed", dec.InputOffset(), tok)
		}
		return fmt.Errorf("more data after the JSON value: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// checkJSON reads one value from dec, checking its keys against t (nil:
// no type to check against, only duplicates).
func checkJSON(dec *json.Decoder, t reflect.Type, path string) error {
	t = concrete(t, jsonUnmarshaler)
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		var fields map[string]reflect.Type
		if t != nil && t.Kind() == reflect.Struct {
			fields = structFields(t, "json")
		}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key := kt.(string)
			if seen[key] {
				return fmt.Errorf("%s: key %q appears twice", path, key)
			}
			seen[key] = true
			var ft reflect.Type
			switch {
			case fields != nil:
				f, ok := fields[key]
				if !ok {
					return unknownKey(path, key, fields)
				}
				ft = f
			case t != nil && t.Kind() == reflect.Map:
				ft = t.Elem()
			}
			if err := checkJSON(dec, ft, path+"."+key); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	case json.Delim('['):
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := checkJSON(dec, et, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	return nil
}

// YAML decodes data, which must hold exactly one YAML document (a mapping
// when v points to a struct), into v, refusing what the package comment
// lists.
func YAML(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return ErrEmpty
		}
		return err
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return fmt.Errorf("line %d: a second YAML document: one is allowed", next.Line)
	case err != io.EOF:
		return err
	}
	if len(doc.Content) != 1 {
		return ErrEmpty
	}
	if err := checkYAML(doc.Content[0], reflect.TypeOf(v), ""); err != nil {
		return err
	}
	d := yaml.NewDecoder(bytes.NewReader(data))
	d.KnownFields(true)
	return d.Decode(v)
}

// checkYAML checks node against t: mappings for structs with known keys,
// integers for integer fields.
func checkYAML(n *yaml.Node, t reflect.Type, path string) error {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	t = concrete(t, yamlUnmarshaler)
	if t == nil {
		return nil
	}
	where := func() string {
		if path == "" {
			return fmt.Sprintf("line %d", n.Line)
		}
		return fmt.Sprintf("line %d: %s", n.Line, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: want a mapping of settings, found %q", where(), n.Value)
		}
		if err := uniqueKeys(n, path); err != nil {
			return err
		}
		fields := structFields(t, "yaml")
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			ft, ok := fields[key]
			if !ok {
				return unknownKey(where(), key, fields)
			}
			if err := checkYAML(n.Content[i+1], ft, join(path, key)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			if err := uniqueKeys(n, path); err != nil {
				return err
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				if err := checkYAML(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value)); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for i, c := range n.Content {
				if err := checkYAML(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		// yaml.v3 tags a decimal beyond 64 bits !!float: it is an
		// integer out of range, not a fraction.
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && !(n.Style == 0 && decimal.MatchString(n.Value))) {
			return fmt.Errorf("%s: %q is not an integer", where(), n.Value)
		}
		return intInRange(n.Value, t, where)
	}
	return nil
}

// uniqueKeys refuses a mapping that holds a key twice, naming both lines
// (yaml.v3 says it in a message of several lines).
func uniqueKeys(n *yaml.Node, path string) error {
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if first, ok := lines[k.Value]; ok {
			return fmt.Errorf("line %d: key %q appears twice (lines %d and %d)", k.Line, join(path, k.Value), first, k.Line)
		}
		lines[k.Value] = k.Line
	}
	return nil
}

// intInRange checks that the YAML integer text fits the integer type t,
// naming the range when it does not (yaml.v3 would say only that it cannot
// unmarshal it).
func intInRange(text string, t reflect.Type, where func() string) error {
	bits := t.Bits()
	var err error
	var lo, hi string
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		lo, hi = "0", strconv.FormatUint(1<<bits-1, 10)
		if strings.HasPrefix(text, "-") {
			err = strconv.ErrRange
		} else {
			_, err = strconv.ParseUint(strings.TrimPrefix(text, "+"), 0, bits)
		}
	default:
		lo, hi = strconv.FormatInt(-1<<(bits-1), 10), strconv.FormatInt(1<<(bits-1)-1, 10)
		_, err = strconv.ParseInt(text, 0, bits)
	}
	if errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("%s: %s is out of range: want an integer from %s to %s", where(), text, lo, hi)
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// concrete strips pointers and returns nil for interfaces, for types that
// decode themselves (their keys are theirs to check) and for yaml.Node
// (which holds any document: its reader checks it).
func concrete(t reflect.Type, self reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		if t.Implements(self) {
			return nil
		}
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || t == yamlNode || reflect.PointerTo(t).Implements(self) {
		return nil
	}
	return t
}

// structFields maps the keys of t's fields, as the tag named by tag spells
// them (the field name without one), to their types; untagged embedded
// structs contribute their own fields.
func structFields(t reflect.Type, tag string) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		switch {
		case name == "-" || (!f.IsExported() && !f.Anonymous):
			continue
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			for k, v := range structFields(f.Type, tag) {
				out[k] = v
			}
			continue
		case name == "":
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// unknownKey names a key that is no field, with the field it was probably
// meant to be when only its case differs.
func unknownKey(where, key string, fields map[string]reflect.Type) error {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return fmt.Errorf("%s: unknown key %q (did you mean %q?)", where, key, name)
		}
	}
	return fmt.Errorf("%s: unknown key %q", where, key)
}
