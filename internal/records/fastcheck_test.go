package records

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// fastSchemas are models as z.toJSONSchema writes them, and a few it
// does not, each with records the fast path must take (valid, in forms
// it reads itself) and records it must leave to the validator.
var fastSchemas = []struct {
	name   string
	schema string
	// fast: false when the schema must get no fast path.
	fast         bool
	take, refuse []string
}{
	{
		name: "contact",
		schema: `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"id":{"type":"string"},
			"first_name":{"anyOf":[{"type":"string"},{"type":"null"}]},"n":{"type":"number"},"k":{"type":"integer"},
			"ok":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"}},
			"kind":{"type":"string","enum":["a","b"]},"email":{"type":"string","format":"email","description":"x"}},
			"required":["id","first_name","n"],"additionalProperties":false}`,
		fast: true,
		take: []string{
			`{"id":"1","first_name":null,"n":1}`,
			` { "id" : "2" , "first_name" : "Ann \"Q\" \u00e9" , "n" : -0.5e+3 , "k" : 12 , "ok" : true , "tags" : [ "x" , "" ] , "kind" : "b", "email": "not checked" } `,
			`{"n":0,"first_name":"x","id":"é"}`,
			`{"id":"3","first_name":null,"n":1,"tags":[]}`,
		},
		refuse: []string{
			`{"id":"1","n":1}`,                                  // first_name required
			`{"id":"1","first_name":1,"n":1}`,                   // not string|null
			`{"id":"1","first_name":null,"n":"1"}`,              // not a number
			`{"id":"1","first_name":null,"n":1,"k":1.5}`,        // not an integer
			`{"id":"1","first_name":null,"n":1,"x":1}`,          // closed
			`{"id":"1","first_name":null,"n":1,"kind":"c"}`,     // enum
			`{"id":"1","first_name":null,"n":1,"tags":["x",1]}`, // items
			`{"id":"1","first_name":null,"n":1,"ok":null}`,      // boolean
			`{"id":"","first_name":null,"n":1}`,                 // empty id
			`{"id":true,"first_name":null,"n":1}`,               // id not string/number
			`{"id":42,"first_name":null,"n":1}`,                 // id not a string here
			`[{"id":"1"}]`,
			`{"id":"1","first_name":null,"n":1}x`,
			`{"id":"1","first_name":null,"n":01}`,
			`{"id":"1","first_name":null,"n":1,}`,
			`{"id":"1","first_name":null,"n":1`,
			`{"id":"1","first_name":null,"n":1,"k":1.0}`, // valid, but not read here
			`{"id":"1","first_name":null,"n":1,"n":2}`,   // a declared key twice
			`{"i\u0064":"1","first_name":null,"n":1}`,    // escaped key
			`{"id":"\u0031","first_name":null,"n":1}`,    // escaped id
		},
	},
	{
		name:   "nested and open",
		schema: `{"type":"object","properties":{"id":{"type":["string","number"]},"addr":{"type":"object","properties":{"zip":{"type":"string"}},"required":["zip"],"additionalProperties":{"type":"number"}},"meta":{}},"required":["id"]}`,
		fast:   true,
		take:   []string{`{"id":1,"addr":{"zip":"1","floor":3},"meta":{"any":[1,{"x":null}]},"other":"ok"}`, `{"id":"x"}`},
		refuse: []string{`{"id":1,"addr":{"floor":3}}`, `{"id":1,"addr":{"zip":"1","floor":"3"}}`, `{"id":null}`},
	},
	{name: "pattern", schema: `{"type":"object","properties":{"id":{"type":"string","pattern":"^a"}}}`},
	{name: "ref", schema: `{"type":"object","properties":{"id":{"$ref":"#/$defs/x"}},"$defs":{"x":{"type":"string"}}}`},
	{name: "draft 7", schema: `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}`},
	{name: "min length", schema: `{"type":"object","properties":{"id":{"type":"string","minLength":2}}}`},
	{name: "const", schema: `{"type":"object","properties":{"id":{"const":"a"}}}`},
}

func TestFastCheck(t *testing.T) {
	t.Parallel()
	for _, c := range fastSchemas {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, err := CompileSchema("M", json.RawMessage(c.schema))
			if err != nil {
				t.Fatal(err)
			}
			if (s.fast != nil) != c.fast {
				t.Fatalf("fast path: %v, want %v", s.fast != nil, c.fast)
			}
			for _, rec := range c.take {
				id, ok := s.fast.checkRecord([]byte(rec))
				slowID, problems := s.check(json.RawMessage(rec))
				if !ok || len(problems) > 0 || id != slowID {
					t.Errorf("%s: fast %q %v, validator %q %v; want both to accept it with one id", rec, id, ok, slowID, problems)
				}
			}
			for _, rec := range c.refuse {
				if _, ok := s.fast.checkRecord([]byte(rec)); ok {
					t.Errorf("%s: the fast path took it", rec)
				}
			}
		})
	}
}

// TestFastCheckNeverAcceptsMore mutates valid records at random: whatever
// the fast path accepts, the validator must accept with the same id.
func TestFastCheckNeverAcceptsMore(t *testing.T) {
	t.Parallel()
	alphabet := []byte("{}[]\",:0123456789.-eE+ \tnulltruefalse\\idnkxé\xff")
	r := rand.New(rand.NewPCG(1, 2))
	taken := 0
	for _, c := range fastSchemas {
		if !c.fast {
			continue
		}
		s, err := CompileSchema("M", json.RawMessage(c.schema))
		if err != nil {
			t.Fatal(err)
		}
		for _, base := range append(c.take, c.refuse...) {
			for range 3000 {
				b := []byte(base)
				for range 1 + r.IntN(3) {
					switch i := r.IntN(len(b) + 1); r.IntN(3) {
					case 0: // replace
						if i < len(b) {
							b[i] = alphabet[r.IntN(len(alphabet))]
						}
					case 1: // insert
						b = append(b[:i], append([]byte{alphabet[r.IntN(len(alphabet))]}, b[i:]...)...)
					default: // delete
						if i < len(b) {
							b = append(b[:i], b[i+1:]...)
						}
					}
				}
				id, ok := s.fast.checkRecord(b)
				if !ok {
					continue
				}
				taken++
				slowID, problems := s.check(json.RawMessage(b))
				if len(problems) > 0 || slowID != id {
					t.Fatalf("%s: fast path took it with id %q; validator: id %q, %v", b, id, slowID, problems)
				}
			}
		}
	}
	if taken == 0 {
		t.Fatal("no mutation was taken: the test checks nothing")
	}
	t.Logf("%d mutated records taken by the fast path, all valid", taken)
}

func BenchmarkSchemaCheck(b *testing.B) {
	s, err := CompileSchema("C", json.RawMessage(fastSchemas[0].schema))
	if err != nil {
		b.Fatal(err)
	}
	rec := []json.RawMessage{json.RawMessage(fastSchemas[0].take[1])}
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if ids, _, _ := s.Check(rec); len(ids) != 1 {
				b.Fatal("refused")
			}
		}
	})
	slow := *s
	slow.fast = nil
	b.Run("validator", func(b *testing.B) {
		for b.Loop() {
			if ids, _, _ := slow.Check(rec); len(ids) != 1 {
				b.Fatal("refused")
			}
		}
	})
}
