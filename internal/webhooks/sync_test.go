package webhooks

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSyncPayloadInvalidRecords: the sync webhook carries invalidRecords
// only when a run skipped some, so its body is Nango's otherwise.
func TestSyncPayloadInvalidRecords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		invalid int
		want    string // "" : the member must be absent
	}{
		{0, ""},
		{3, `"invalidRecords":3`},
	} {
		p := SyncPayload{Type: "sync", Model: "Item", ResponseResults: &SyncResponseResult{Added: 1}, InvalidRecords: tc.invalid}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case tc.want == "" && strings.Contains(string(b), "invalidRecords"):
			t.Errorf("invalid %d: body %s has invalidRecords", tc.invalid, b)
		case tc.want != "" && !strings.Contains(string(b), tc.want):
			t.Errorf("invalid %d: body %s lacks %s", tc.invalid, b, tc.want)
		}
		if !strings.Contains(string(b), `"responseResults":{"added":1,"updated":0,"deleted":0}`) {
			t.Errorf("responseResults changed: %s", b)
		}
	}
}
