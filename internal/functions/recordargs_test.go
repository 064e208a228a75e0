package functions

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestSplitRecordArgs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		raw  string
		fast bool
	}{
		{`{"model":"Contact","records":[{"id":"1","n":[1,{"a":"]"}]},{"id":"2","s":"x\"},{"}],"invalid":3}`, true},
		{`{"model":"Contact","records":[],"invalid":0}`, true},
		{`{"model":"M","records":[1,"a,b",null,[]],"invalid":0}`, true},
		{`{"model":"M","records":[{"id":"\\"}],"invalid":0}`, true},
		{`{"records":[],"model":"M","invalid":0}`, false},            // another order
		{`{"model":"M\u0041","records":[],"invalid":0}`, false},      // an escape in the model
		{`{"model":"M","records":[ {"id":"1"}],"invalid":0}`, false}, // spacing
		{`{"model":"M","records":[{"id":"1"},],"invalid":0}`, false}, // an empty element
		{`{"model":"M","records":[{"id":"1"}}],"invalid":0}`, false}, // brackets
		{`{"model":"M","records":[{"id":"1"],"invalid":0}`, false},   // brackets
		{`{"model":"M","records":[{"id":"1}],"invalid":0}`, false},   // an open string
		{`{"model":"M","records":[],"invalid":-1}`, false},           // a negative count
		{`{"model":"M","records":[],"invalid":0,"x":1}`, false},      // another key
		{`{"model":"","records":[],"invalid":0}`, false},             // no model
	}
	for _, c := range cases {
		got, ok := splitRecordArgs([]byte(c.raw))
		if ok != c.fast {
			t.Errorf("%s: fast %v, want %v", c.raw, ok, c.fast)
			continue
		}
		if ok {
			var want recordArgs
			if err := decodeArgs(json.RawMessage(c.raw), &want); err != nil {
				t.Fatalf("%s: %v", c.raw, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s:\n got %q\nwant %q", c.raw, got.Records, want.Records)
			}
		}
	}
}

// TestSplitRecordArgsAgreesWithDecoding mutates valid arguments at random:
// whatever the fast path takes apart, decoding must read the same records
// (or refuse only because a record is not JSON, which the model check
// downstream refuses too).
func TestSplitRecordArgsAgreesWithDecoding(t *testing.T) {
	t.Parallel()
	base := `{"model":"C","records":[{"id":"1","a":[1,2,{"b":"}]\\"}]},{"id":2,"c":null},"s",[[]]],"invalid":2}`
	alphabet := []byte(`{}[]",:\ab12`)
	r := rand.New(rand.NewPCG(3, 4))
	taken := 0
	for range 20000 {
		b := []byte(base)
		for range 1 + r.IntN(2) {
			i := r.IntN(len(b))
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		got, ok := splitRecordArgs(b)
		if !ok {
			continue
		}
		var want recordArgs
		if err := decodeArgs(json.RawMessage(b), &want); err != nil {
			// Only a record that is not JSON may make decoding fail.
			for _, rec := range got.Records {
				if !json.Valid(rec) {
					goto next
				}
			}
			t.Fatalf("%s: fast path took it; decoding: %v", b, err)
		}
		taken++
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %q\nwant %q", b, got.Records, want.Records)
		}
	next:
	}
	if taken == 0 {
		t.Fatal("no mutation was taken: the test checks nothing")
	}
}

func BenchmarkRecordArgs(b *testing.B) {
	rec := `{"id":"123","first_name":"Ann","last_name":"Lee","email":"ann@example.com","phone":null,"job_title":"CTO","company":"Acme","created_at":"2024-01-01T00:00:00.000Z","updated_at":"2024-01-02T00:00:00.000Z"}`
	raw := []byte(`{"model":"Contact","records":[` + rec)
	for range 99 {
		raw = append(raw, ","+rec...)
	}
	raw = append(raw, `],"invalid":0}`...)
	b.Run("split", func(b *testing.B) {
		for b.Loop() {
			if _, ok := splitRecordArgs(raw); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			var a recordArgs
			if err := decodeArgs(raw, &a); err != nil {
				b.Fatal(err)
			}
		}
	})
}
