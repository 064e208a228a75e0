package sqlstore

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

func fullCredentials() store.Credentials {
	exp, userExp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	return store.Credentials{
		Type: "CUSTOM", AccessToken: "at", RefreshToken: "rt", ExpiresAt: &exp, Token: "tok",
		OAuthToken: "ot", OAuthTokenSecret: "ots", APIKey: "ak", Username: "un", Password: "pw",
		ClientID: "ci", ClientSecret: "cs", Fields: map[string]string{"kid": "k1"},
		User: &store.Credentials{Type: "OAUTH2", AccessToken: "uat", ExpiresAt: &userExp},
		Raw:  json.RawMessage(`{"access_token":"at"}`),
	}
}

// TestCredentialsRoundTrip catches a field added to store.Credentials but
// not to storedCredentials: every field is set, so one left out of the
// copy reads back empty.
func TestCredentialsRoundTrip(t *testing.T) {
	t.Parallel()
	in := fullCredentials()
	v := reflect.ValueOf(in)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("fullCredentials leaves %s unset; set it so the round trip covers it", v.Type().Field(i).Name)
		}
	}
	plain, err := encodeCredentials(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeCredentials(plain)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Fatalf("round trip:\n got %+v\nwant %+v\nstored %s", out, in, plain)
	}
}

func TestEndUserAndErrorsRoundTrip(t *testing.T) {
	t.Parallel()
	u := &store.EndUser{ID: "u", Email: "e", DisplayName: "d", Tags: map[string]string{"a": "b"},
		Organization: &store.Organization{ID: "o", DisplayName: "od"}}
	b, _ := json.Marshal(toStoredEndUser(u))
	if got, err := decodeEndUser(b); err != nil || !reflect.DeepEqual(got, u) {
		t.Fatalf("end user round trip = %+v, %v; want %+v", got, err, u)
	}
	if got, err := decodeEndUser([]byte("null")); err != nil || got != nil {
		t.Fatalf("decodeEndUser(null) = %+v, %v", got, err)
	}
	errs := []store.ConnectionError{{Type: "auth", Code: "c", Message: "m", At: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}}
	b, _ = json.Marshal(toStoredErrors(errs))
	if got, err := decodeErrors(b); err != nil || !reflect.DeepEqual(got, errs) {
		t.Fatalf("errors round trip = %+v, %v; want %+v", got, err, errs)
	}
	if got, err := decodeErrors([]byte("[]")); err != nil || got != nil {
		t.Fatalf("decodeErrors([]) = %+v, %v; want nil", got, err)
	}
}

// BenchmarkCredentialsCodec is the cost of the storage encoding on each
// connection read and write (before sealing).
func BenchmarkCredentialsCodec(b *testing.B) {
	in := fullCredentials()
	b.ReportAllocs()
	for b.Loop() {
		plain, err := encodeCredentials(in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := decodeCredentials(plain); err != nil {
			b.Fatal(err)
		}
	}
}
