package records

import (
	"encoding/json"
	"math/bits"
	"unicode/utf8"
)

// A fastNode checks one value of a record straight from its JSON text,
// without decoding it: the common models (objects of typed, possibly
// nullable fields, arrays, string enums) are accepted at a small fraction
// of the cost of decoding a record and running the full validator, which
// was a sixth of a sync's time per record.
//
// It answers only "valid for sure": whatever it does not accept (an
// invalid record, or JSON it does not take apart itself, such as a key
// with escapes or a number with an exponent checked as an integer) goes to
// the full validator, which says what is wrong. So it must never accept a
// record the full validator refuses; it may refuse a valid one, at the
// cost of the slow path. Schemas with keywords it does not implement get
// no fast path at all (compileFast returns nil).
type fastNode struct {
	any   bool // {}: every value
	types typeSet
	// Object: the declared properties, which of them are required (as a
	// bit mask over their order) and what other properties may be.
	props    map[string]int
	children []*fastNode
	required uint64
	closed   bool      // additionalProperties: false
	extra    *fastNode // additionalProperties as a schema (nil: any)
	items    *fastNode // array items (nil: any)
	anyOf    []*fastNode
	enum     map[string]bool // string values allowed (nil: any)
}

type typeSet uint8

const (
	tNull typeSet = 1 << iota
	tBoolean
	tNumber
	tInteger
	tString
	tArray
	tObject
)

var typeNames = map[string]typeSet{
	"null": tNull, "boolean": tBoolean, "number": tNumber, "integer": tInteger,
	"string": tString, "array": tArray, "object": tObject,
}

// annotations are keywords that do not change what a schema accepts
// (format included: draft 2020-12 makes it an annotation unless the
// format-assertion vocabulary is required, and the validator is compiled
// so).
var annotations = map[string]bool{
	"title": true, "description": true, "default": true, "examples": true, "$comment": true,
	"deprecated": true, "readOnly": true, "writeOnly": true, "format": true,
}

// draft2020 is the only $schema the fast path takes: another draft may
// give keywords other meanings.
const draft2020 = "https://json-schema.org/draft/2020-12/schema"

// compileFast compiles a model's JSON Schema to a fastNode, or returns nil
// when it uses a keyword the fast path does not implement.
func compileFast(raw json.RawMessage) *fastNode {
	var doc map[string]any
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	if s, ok := doc["$schema"]; ok {
		if s != draft2020 {
			return nil
		}
		delete(doc, "$schema")
	}
	n := fastFrom(doc, 0)
	if n != nil && len(n.anyOf) > 0 {
		return nil // checkRecord takes a record's object itself
	}
	return n
}

// maxFastDepth bounds the schema nesting the fast path compiles.
const maxFastDepth = 32

func fastFrom(v any, depth int) *fastNode {
	if depth > maxFastDepth {
		return nil
	}
	switch v := v.(type) {
	case bool:
		if v {
			return &fastNode{any: true}
		}
		return nil // false refuses everything: leave it to the validator
	case map[string]any:
		n := &fastNode{}
		constrained := false
		for k, kv := range v {
			if annotations[k] {
				continue
			}
			constrained = true
			var ok bool
			switch k {
			case "type":
				ok = n.setTypes(kv)
			case "properties", "required", "additionalProperties":
				ok = true // read below, together
			case "items":
				n.items = fastFrom(kv, depth+1)
				ok = n.items != nil
			case "anyOf":
				list, isList := kv.([]any)
				ok = isList && len(list) > 0
				for _, alt := range list {
					c := fastFrom(alt, depth+1)
					if c == nil {
						return nil
					}
					n.anyOf = append(n.anyOf, c)
				}
			case "enum":
				ok = n.setEnum(kv)
			}
			if !ok {
				return nil
			}
		}
		if !constrained {
			return &fastNode{any: true}
		}
		if !n.setObject(v, depth) {
			return nil
		}
		return n
	}
	return nil
}

func (n *fastNode) setTypes(v any) bool {
	switch v := v.(type) {
	case string:
		t, ok := typeNames[v]
		n.types = t
		return ok
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok || typeNames[s] == 0 {
				return false
			}
			n.types |= typeNames[s]
		}
		return len(v) > 0
	}
	return false
}

// setEnum takes an enum of strings only.
func (n *fastNode) setEnum(v any) bool {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return false
	}
	n.enum = make(map[string]bool, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return false
		}
		n.enum[s] = true
	}
	return true
}

// setObject reads properties, required and additionalProperties.
func (n *fastNode) setObject(v map[string]any, depth int) bool {
	if p, ok := v["properties"]; ok {
		props, ok := p.(map[string]any)
		if !ok || len(props) > 64 {
			return false
		}
		n.props = make(map[string]int, len(props))
		for name, ps := range props {
			c := fastFrom(ps, depth+1)
			if c == nil {
				return false
			}
			n.props[name] = len(n.children)
			n.children = append(n.children, c)
		}
	}
	if r, ok := v["required"]; ok {
		list, ok := r.([]any)
		if !ok {
			return false
		}
		for _, e := range list {
			name, ok := e.(string)
			i, declared := n.props[name]
			if !ok || !declared {
				// A required property with no schema of its own is rare
				// enough to leave to the validator.
				return false
			}
			n.required |= 1 << i
		}
	}
	if a, ok := v["additionalProperties"]; ok {
		if b, isBool := a.(bool); isBool && !b {
			n.closed = true
		} else if n.extra = fastFrom(a, depth+1); n.extra == nil {
			return false
		}
	}
	return true
}

// checkRecord says whether raw is a record the schema surely accepts, and
// its id (a string, or a number as its JSON text).
func (n *fastNode) checkRecord(raw []byte) (id string, ok bool) {
	s := scanner{b: raw}
	s.space()
	if s.peek() != '{' {
		return "", false
	}
	if n.any {
		n = nil
	}
	var idText []byte
	idQuoted := false
	if !s.object(n, func(key []byte, start int) {
		if string(key) == "id" {
			idText = s.b[start:s.i]
			idQuoted = len(idText) > 0 && idText[0] == '"'
		}
	}) {
		return "", false
	}
	s.space()
	if s.i != len(s.b) || idText == nil {
		return "", false
	}
	if idQuoted {
		str, plain := unquotePlain(idText)
		if !plain || len(str) == 0 || len(str) > MaxIDLength {
			return "", false
		}
		return str, true
	}
	if idText[0] == '-' || (idText[0] >= '0' && idText[0] <= '9') {
		return string(idText), true
	}
	return "", false
}

// scanner walks JSON text, checking values against fastNodes as it goes.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value checks the value at s.i against n (nil: any value, only scanned).
func (s *scanner) value(n *fastNode) bool {
	s.space()
	if n != nil && len(n.anyOf) > 0 {
		start := s.i
		matched := false
		for _, alt := range n.anyOf {
			s.i = start
			if s.value(alt) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
		if n.types == 0 && n.enum == nil && n.props == nil && !n.closed && n.extra == nil && n.items == nil {
			return true
		}
		// Other keywords beside anyOf apply to the same value too.
		s.i = start
		m := *n
		m.anyOf = nil
		return s.value(&m)
	}
	if n != nil && n.any {
		n = nil
	}
	switch c := s.peek(); {
	case c == '{':
		return s.object(n, nil) // which checks the type
	case c == '[':
		if n != nil && n.types != 0 && n.types&tArray == 0 {
			return false
		}
		var items *fastNode
		if n != nil {
			items = n.items
		}
		return s.array(items)
	case c == '"':
		if n != nil && n.types != 0 && n.types&tString == 0 {
			return false
		}
		start := s.i
		if !s.str() {
			return false
		}
		if n != nil && n.enum != nil {
			v, plain := unquotePlain(s.b[start:s.i])
			return plain && n.enum[v]
		}
		return true
	case c == 't' || c == 'f':
		if n != nil && (n.enum != nil || (n.types != 0 && n.types&tBoolean == 0)) {
			return false
		}
		return s.literal("true") || s.literal("false")
	case c == 'n':
		if n != nil && (n.enum != nil || (n.types != 0 && n.types&tNull == 0)) {
			return false
		}
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		if n != nil && n.enum != nil {
			return false
		}
		integral, ok := s.number()
		if !ok {
			return false
		}
		if n == nil || n.types == 0 || n.types&tNumber != 0 {
			return true
		}
		// 1.0 is an integer to the validator; only the plain form is
		// taken here.
		return n.types&tInteger != 0 && integral
	}
	return false
}

// object checks the object at s.i against n; seen, when set, hears of
// every member's key and where its value starts (after the value is
// scanned).
func (s *scanner) object(n *fastNode, seen func(key []byte, start int)) bool {
	if n != nil && n.types != 0 && n.types&tObject == 0 {
		return false
	}
	s.i++ // {
	var found uint64
	s.space()
	if s.peek() == '}' {
		s.i++
		return n == nil || n.required == 0
	}
	for {
		s.space()
		if s.peek() != '"' {
			return false
		}
		start := s.i
		if !s.str() {
			return false
		}
		key, plain := rawKey(s.b[start:s.i])
		if !plain {
			return false
		}
		s.space()
		if s.peek() != ':' {
			return false
		}
		s.i++
		s.space()
		var child *fastNode
		if n != nil {
			if i, ok := n.props[string(key)]; ok {
				if found&(1<<i) != 0 {
					return false // a key given twice: leave it to the validator
				}
				found |= 1 << i
				child = n.children[i]
			} else if n.closed {
				return false
			} else {
				child = n.extra
			}
		}
		vstart := s.i
		if !s.value(child) {
			return false
		}
		if seen != nil {
			seen(key, vstart)
		}
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return n == nil || bits.OnesCount64(found&n.required) == bits.OnesCount64(n.required)
		default:
			return false
		}
	}
}

func (s *scanner) array(items *fastNode) bool {
	s.i++ // [
	s.space()
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		if !s.value(items) {
			return false
		}
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// str scans a string; escapes are checked for form only.
func (s *scanner) str() bool {
	s.i++ // "
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return true
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !isHex(h) {
						return false
					}
				}
				s.i += 6
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			s.i++
		}
	}
	return false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// number scans a JSON number and says whether it is written as an
// integer (no fraction, no exponent).
func (s *scanner) number() (integral, ok bool) {
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.peek() == '-' {
		s.i++
	}
	switch {
	case s.peek() == '0':
		s.i++
	case digits() == 0:
		return false, false
	}
	integral = true
	if s.peek() == '.' {
		s.i++
		if digits() == 0 {
			return false, false
		}
		integral = false
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if digits() == 0 {
			return false, false
		}
		integral = false
	}
	return integral, true
}

// rawKey is a quoted string's text when that is its value: no escapes,
// and valid UTF-8 (a decoder replaces invalid bytes).
func rawKey(quoted []byte) ([]byte, bool) {
	inner := quoted[1 : len(quoted)-1]
	for _, c := range inner {
		if c == '\\' {
			return nil, false
		}
	}
	return inner, utf8.Valid(inner)
}

// unquotePlain is rawKey as a string.
func unquotePlain(quoted []byte) (string, bool) {
	k, ok := rawKey(quoted)
	return string(k), ok
}
