package api

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/patchbay/patchbay/internal/store"
)

func TestCheckQuery(t *testing.T) {
	t.Parallel()
	allowed := map[string][]string{"include": {"credentials", "webhook"}, "search": nil}
	tests := []struct {
		query string
		bad   []string
	}{
		{"", nil},
		{"include=credentials&include=webhook", nil},
		{"include=credentials,webhook", nil},
		{"search=anything+at+all", nil},
		{"include=secrets", []string{"include"}},
		{"include=credentials,secrets", []string{"include"}},
		{"limit=1&offset=2", []string{"limit", "offset"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			err := checkQuery(httptest.NewRequest("GET", "/x?"+tt.query, nil), allowed)
			var got []string
			if err != nil {
				for _, fe := range err.Errors {
					got = append(got, fe.Path[0].(string))
				}
			}
			if !slices.Equal(got, tt.bad) {
				t.Fatalf("bad params = %v, want %v", got, tt.bad)
			}
		})
	}
}

// FuzzDecodeBody feeds arbitrary bytes to the body decoder used by every
// JSON endpoint: it must never panic, and whatever it accepts must be an
// object whose members were all known.
func FuzzDecodeBody(f *testing.F) {
	for _, seed := range []string{
		`{"unique_key":"a","provider":"github"}`,
		`{"unique_key":"a","provider":"github","credentials":{"type":"OAUTH2","client_id":"i","client_secret":"s"}}`,
		`{"credentials":null}`, `[]`, `null`, `"x"`, `{"a":1}`, `{"unique_key":"\u0000"}`, `{} {}`, `{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var key, provider string
		var display *string
		var creds *store.IntegrationCredentials
		err := decodeBody(httptest.NewRecorder(), body, map[string]field{
			"unique_key":   {dest: &key, required: true},
			"provider":     {dest: &provider},
			"display_name": {dest: &display},
			"credentials":  {dest: credentialsFields(&creds)},
		})
		if err != nil {
			if err.status != 400 || err.Code != "invalid_body" || err.Message == "" {
				t.Fatalf("unexpected error %+v", err)
			}
			return
		}
		var members map[string]json.RawMessage
		if json.Unmarshal(body, &members) != nil {
			t.Fatalf("accepted a body that is not a JSON object: %q", body)
		}
		for name := range members {
			if !slices.Contains([]string{"unique_key", "provider", "display_name", "credentials"}, name) {
				t.Fatalf("accepted unknown member %q", name)
			}
		}
		if _, ok := members["unique_key"]; !ok {
			t.Fatalf("accepted a body without the required unique_key: %q", body)
		}
	})
}
