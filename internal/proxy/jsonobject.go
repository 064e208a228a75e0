package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// JSONObject is a JSON object that keeps its members in the order they
// were written, as JavaScript's JSON.stringify does: a paginated body is
// sent with the function's key order and the members pagination adds
// after them, as Nango's runtime sends it (test fixtures match long
// bodies by the sha1 of that text). Nested objects are *JSONObject too;
// numbers are json.Number, so they are written back as they came.
type JSONObject struct {
	keys []string
	vals map[string]any
}

// ParseJSONObject reads a JSON object, keeping its key order.
func ParseJSONObject(b []byte) (*JSONObject, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("proxy: trailing data after a JSON object")
	}
	o, ok := v.(*JSONObject)
	if !ok {
		return nil, errors.New("proxy: not a JSON object")
	}
	return o, nil
}

func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &JSONObject{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				o.Set(k, v)
			}
			_, err := dec.Token()
			return o, err
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := dec.Token()
			return a, err
		}
		return nil, fmt.Errorf("proxy: unexpected %v", t)
	default:
		return t, nil
	}
}

// Get is the member named key.
func (o *JSONObject) Get(key string) (any, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.vals[key]
	return v, ok
}

// Set sets a member: a new one goes last, as in JavaScript.
func (o *JSONObject) Set(key string, v any) {
	if o.vals == nil {
		o.vals = map[string]any{}
	}
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
}

// Delete removes a member.
func (o *JSONObject) Delete(key string) {
	if _, ok := o.vals[key]; !ok {
		return
	}
	delete(o.vals, key)
	o.keys = slices.DeleteFunc(o.keys, func(k string) bool { return k == key })
}

// Keys are the member names in order.
func (o *JSONObject) Keys() []string {
	if o == nil {
		return nil
	}
	return slices.Clone(o.keys)
}

// Len is the number of members.
func (o *JSONObject) Len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

// clone copies the object's top level; nested objects are shared until
// a path is set into them (setBodyPath copies along it).
func (o *JSONObject) clone() *JSONObject {
	if o == nil {
		return nil
	}
	return &JSONObject{keys: slices.Clone(o.keys), vals: maps.Clone(o.vals)}
}

// MarshalJSON writes the members in order.
func (o *JSONObject) MarshalJSON() ([]byte, error) {
	if o == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeJSValue(&b, k); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := writeJSValue(&b, o.vals[k]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeJSValue writes v as JSON.stringify would: without escaping <, >
// and &, which Go's Marshal does.
func writeJSValue(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

// UnmarshalJSON reads an object, keeping its key order.
func (o *JSONObject) UnmarshalJSON(b []byte) error {
	p, err := ParseJSONObject(b)
	if err != nil {
		return err
	}
	*o = *p
	return nil
}
