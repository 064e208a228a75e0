package hubspot

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"
)

// TestPageJSON holds the hand-written page encoding to encoding/json's:
// each contact means what json.Marshal(render(c, props)) means, keys in
// the same order, whatever the values hold.
func TestPageJSON(t *testing.T) {
	t.Parallel()
	values := []string{"plain", `quote " and \ backslash`, "line\nbreak\ttab\r\x01\x1f", "<b>&amp;</b>", "é ü 日本", "bad \xff utf-8 \xc3", "sep \u2028 \u2029", ""}
	var contacts []*contact
	for i, v := range values {
		contacts = append(contacts, &contact{id: int64(1000 + i), created: 1_700_000_000_123 + int64(i), updated: 1_700_000_100_456,
			props: map[string]string{"firstname": v, "email": "a@b.c", "company": v}, archived: i%3 == 0, archivedAt: 1_700_000_200_789})
	}
	propSets := [][]string{
		defaultProps,
		{"firstname", "lastname", "email", "phone", "jobtitle", "company", "createdate", "lastmodifieddate"},
		{"unknown", "firstname", "firstname", "hs_lastmodifieddate", "hs_object_id"},
		nil,
	}
	for _, props := range propSets {
		names := pageProps(props)
		for _, c := range contacts {
			got := appendContact(nil, c, names)
			want, err := json.Marshal(render(c, props))
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(got) {
				t.Fatalf("not JSON: %s", got)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("props %v, contact %d:\n got %s\nwant %s", props, c.id, got, want)
			}
			if keys(t, got) != keys(t, want) {
				t.Errorf("key order:\n got %s\nwant %s", keys(t, got), keys(t, want))
			}
		}
	}

	// The page around them.
	rec := httptest.NewRecorder()
	writePage(rec, 42, contacts[:2], defaultProps, &paging{Next: &pagingNext{After: "7", Link: "http://x/y?a=1&b=<2>"}})
	var page struct {
		Total   int               `json:"total"`
		Results []json.RawMessage `json:"results"`
		Paging  paging            `json:"paging"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
		t.Fatalf("%v: %s", err, rec.Body.Bytes())
	}
	if page.Total != 42 || len(page.Results) != 2 || page.Paging.Next.After != "7" || page.Paging.Next.Link != "http://x/y?a=1&b=<2>" ||
		rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("page %+v, content type %q", page, rec.Header().Get("Content-Type"))
	}
	rec = httptest.NewRecorder()
	writePage(rec, -1, nil, nil, nil)
	if got := rec.Body.String(); got != "{\"results\":[]}\n" {
		t.Errorf("empty list page = %q", got)
	}
}

// keys lists the object keys of a JSON text in the order they appear.
func keys(t *testing.T, b []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	var out []byte
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if s, ok := tok.(string); ok && dec.More() {
			out = append(out, s...)
			out = append(out, ' ')
		}
	}
	return string(out)
}
