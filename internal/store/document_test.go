package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/store"
)

func TestDocumentCheck(t *testing.T) {
	t.Parallel()
	small := store.Document{Name: "doc", Max: 64}
	for _, tt := range []struct {
		name string
		doc  store.Document
		raw  string
		code string // "" when valid
		path string
	}{
		{"object", store.DocMetadata, `{"a":1,"b":[true,null,"x",{"c":1.5e300}]}`, "", ""},
		{"tiny numbers round to zero and read back", store.DocMetadata, `{"a":1e-999999}`, "", ""},
		{"overflowing number", store.DocMetadata, `{"a":1e999999}`, "invalid_number", "a"},
		{"negative overflow", store.DocMetadata, `{"a":-1e309}`, "invalid_number", "a"},
		{"overflow deep in an array", store.DocMetadata, `{"a":[1,{"b":[0,2e308]}]}`, "invalid_number", "a.1.b.1"},
		{"overflow after a nested object", store.DocMetadata, `{"a":{"x":1},"b":9e999}`, "invalid_number", "b"},
		{"top-level overflow", store.DocActionInput, `1e400`, "invalid_number", ""},
		{"NUL in a column document", store.DocMetadata, `{"a":"x\u0000y"}`, "invalid_string", "a"},
		{"NUL in a key", store.DocConnectionConfig, `{"k\u0000":1}`, "invalid_string", "k\x00"},
		{"NUL in a sealed document", store.DocActionInput, `{"a":"x\u0000y"}`, "", ""},
		{"escaped backslash is not NUL", store.DocMetadata, `{"a":"\\u0000"}`, "", ""},
		{"not JSON", store.DocMetadata, `{"a":`, "invalid_json", ""},
		{"two values", store.DocMetadata, `{} {}`, "invalid_json", ""},
		{"empty", store.DocMetadata, ``, "invalid_json", ""},
		{"at the cap", small, `"` + strings.Repeat("x", 62) + `"`, "", ""},
		{"over the cap", small, `"` + strings.Repeat("x", 63) + `"`, "too_big", ""},
	} {
		err := tt.doc.Check([]byte(tt.raw))
		if tt.code == "" {
			if err != nil {
				t.Errorf("%s: Check = %v, want nil", tt.name, err)
			}
			continue
		}
		var de *store.DocumentError
		if !errors.As(err, &de) || de.Code != tt.code {
			t.Errorf("%s: Check = %v, want a %s DocumentError", tt.name, err, tt.code)
			continue
		}
		var path []string
		for _, seg := range de.Path {
			path = append(path, fmt.Sprint(seg))
		}
		if got := strings.Join(path, "."); got != tt.path || de.Doc != tt.doc.Name {
			t.Errorf("%s: error at %s.%s, want %s.%s", tt.name, de.Doc, got, tt.doc.Name, tt.path)
		}
	}
}

// TestDocumentEncodeReadsBack: whatever Encode accepts decodes into the Go
// types the store reads documents into.
func TestDocumentEncodeReadsBack(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{`{"a":1e308}`, `{"a":"<b>&</b>","n":[1,2.5,-3e-300]}`, `{"a":1e999}`} {
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		var v map[string]any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		b, err := store.DocMetadata.Encode(v)
		var back map[string]any
		readErr := json.Unmarshal(b, &back)
		if (err == nil) != (readErr == nil) {
			t.Errorf("%s: Encode error %v but reading back: %v", raw, err, readErr)
		}
		if err == nil && strings.Contains(string(b), `\u003c`) {
			t.Errorf("%s: encoded with HTML escapes: %s", raw, b)
		}
	}
	if _, err := store.DocMetadata.Encode(map[string]any{"a": func() {}}); err == nil {
		t.Error("Encode accepted a value JSON cannot hold")
	}
}

func TestSize(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{1 << 20: "1 MiB", 64 << 10: "64 KiB", 100: "100 bytes", 1500: "1500 bytes"} {
		if got := store.Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}

// BenchmarkDocumentCheck measures the check every document write pays: a
// metadata document of many small members, near 64 KiB.
func BenchmarkDocumentCheck(b *testing.B) {
	m := map[string]any{}
	for i := range 1000 {
		m[fmt.Sprintf("key-%04d", i)] = map[string]any{"n": i, "s": "value", "list": []any{1.5, true, nil}}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if err := store.DocMetadata.Check(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDocumentCheck: Check never panics, and what it accepts reads back
// into the types the store reads documents into, without NUL in a column
// document.
func FuzzDocumentCheck(f *testing.F) {
	for _, seed := range []string{`{"a":1e999999}`, `{"a":"x\u0000"}`, `[1,-1e309,{"b":"\\u0000"}]`, `"\ud800"`, `{"a":0.1e-400}`, strings.Repeat("9", 320)} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, doc := range []store.Document{store.DocMetadata, store.DocActionInput} {
			if doc.Check(raw) != nil {
				continue
			}
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatalf("%s accepted %q, which does not read back: %v", doc.Name, raw, err)
			}
			if doc == store.DocMetadata && strings.Contains(fmt.Sprint(v), "\x00") {
				t.Fatalf("%s accepted %q, which holds NUL", doc.Name, raw)
			}
		}
	})
}
