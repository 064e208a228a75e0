package records

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

func TestSchemaCheck(t *testing.T) {
	t.Parallel()
	// What z.toJSONSchema makes of z.object({id: z.string(), n: z.number(), tags: z.array(z.string()).optional()}).
	schema := json.RawMessage(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
		"properties":{"id":{"type":"string"},"n":{"type":"number"},"tags":{"type":"array","items":{"type":"string"}}},
		"required":["id","n"],"additionalProperties":false}`)
	s, err := CompileSchema("Item", schema)
	if err != nil {
		t.Fatal(err)
	}
	recs := []json.RawMessage{
		json.RawMessage(`{"id":"a","n":1}`),
		json.RawMessage(`{"id":"b","n":"x"}`),
		json.RawMessage(`{"id":"c","n":2,"tags":["ok",3]}`),
		json.RawMessage(`{"n":3}`),
		json.RawMessage(`[1]`),
		json.RawMessage(`{"id":7,"n":4,"extra":true}`),
		json.RawMessage(`{"id":"d","n":5,"tags":["x"]}`),
	}
	ids, valid, invalid := s.Check(recs)
	if strings.Join(ids, ",") != "a,d" || len(valid) != 2 || string(valid[1]) != `{"id":"d","n":5,"tags":["x"]}` {
		t.Fatalf("valid %v %s", ids, valid)
	}
	want := []struct {
		index   int
		id      string
		mention string
	}{{1, "b", "n: "}, {2, "c", "tags.1: "}, {3, "", "id: is required"}, {4, "", "must be an object"}, {5, "7", "extra"}}
	if len(invalid) != len(want) {
		t.Fatalf("invalid %v", invalid)
	}
	for i, w := range want {
		iv := invalid[i]
		if iv.Index != w.index || iv.ID != w.id || !strings.Contains(iv.Error(), w.mention) {
			t.Errorf("invalid[%d] = %+v (%s), want index %d id %q mentioning %q", i, iv, iv, w.index, w.id, w.mention)
		}
	}

	// No schema: any object with an id; numbers keep their JSON text.
	anyRec, _ := CompileSchema("Any", nil)
	ids, _, invalid = anyRec.Check([]json.RawMessage{json.RawMessage(`{"id":12.50}`), json.RawMessage(`{"id":""}`)})
	if len(ids) != 1 || ids[0] != "12.50" || len(invalid) != 1 {
		t.Fatalf("ids %v invalid %v", ids, invalid)
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 5, 6, 7, 890_123_456, time.FixedZone("x", 3600))
	del := time.Date(999, 12, 31, 23, 59, 59, 0, time.UTC)
	cases := []struct {
		rec  store.Record
		want string
	}{
		{store.Record{ID: "a", Payload: json.RawMessage(`{"id":"a","n":1} `), FirstSeenAt: at, LastModifiedAt: at, LastAction: "ADDED", Cursor: 42},
			`{"id":"a","n":1,"_nango_metadata":{"first_seen_at":"2026-03-04T04:06:07.890Z","last_modified_at":"2026-03-04T04:06:07.890Z","last_action":"ADDED","deleted_at":null,"cursor":"` + EncodeCursor(42) + `"}}`},
		{store.Record{ID: `q"1`, FirstSeenAt: at, LastModifiedAt: at, LastAction: "DELETED", DeletedAt: &del, Cursor: 7},
			`{"id":"q\"1","_nango_metadata":{"first_seen_at":"2026-03-04T04:06:07.890Z","last_modified_at":"2026-03-04T04:06:07.890Z","last_action":"DELETED","deleted_at":"0999-12-31T23:59:59.000Z","cursor":"` + EncodeCursor(7) + `"}}`},
		{store.Record{ID: "e", Payload: json.RawMessage(`{}`), FirstSeenAt: at, LastModifiedAt: at, LastAction: "UPDATED", Cursor: 1},
			`{"_nango_metadata":{"first_seen_at":"2026-03-04T04:06:07.890Z","last_modified_at":"2026-03-04T04:06:07.890Z","last_action":"UPDATED","deleted_at":null,"cursor":"` + EncodeCursor(1) + `"}}`},
	}
	for _, c := range cases {
		got := string(Render(&c.rec))
		if got != c.want {
			t.Errorf("Render(%s) =\n%s\nwant\n%s", c.rec.ID, got, c.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("Render(%s) is not JSON", c.rec.ID)
		}
		if c, err := DecodeCursor(EncodeCursor(1234567)); err != nil || c != 1234567 {
			t.Errorf("cursor round trip: %d %v", c, err)
		}
	}
}
