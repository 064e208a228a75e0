package records

import (
	"encoding/json"
	"strings"
	"testing"
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
