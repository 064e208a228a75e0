package authmode_test

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/store"
)

// The catalog accepts the modes registered in full, and nothing else.
func TestCatalogAcceptsRegisteredModes(t *testing.T) {
	t.Parallel()
	authmode.Each(func(m *authmode.Mode) {
		if catalog.AuthModeSupported(m.Name) == m.Partial {
			t.Errorf("mode %s (partial %v): the catalog supports it: %v", m.Name, m.Partial, !m.Partial)
		}
	})
	for _, name := range []string{"NOPE", "oauth2", ""} {
		if catalog.AuthModeSupported(name) {
			t.Errorf("the catalog supports %q", name)
		}
		if _, ok := authmode.Lookup(name); ok {
			t.Errorf("Lookup found %q", name)
		}
	}
	if m := authmode.Get("NOPE"); m.Name != "NOPE" || m.Form != nil || m.Browser != authmode.BrowserNone || m.Mint != authmode.MintNone {
		t.Errorf("Get of an unknown mode = %+v", m)
	}
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		c           store.Credentials
		header      string
		token       any
		refreshable bool
		stranded    bool
		view        map[string]any
	}{
		{c: store.Credentials{Type: "OAUTH2", AccessToken: "at"}, header: "Bearer at", token: "at", stranded: true,
			view: map[string]any{"type": "OAUTH2", "access_token": "at", "raw": []byte("{}")}},
		{c: store.Credentials{Type: "OAUTH2", AccessToken: "at", RefreshToken: "rt", ExpiresAt: &exp}, header: "Bearer at", token: "at", refreshable: true,
			view: map[string]any{"type": "OAUTH2", "access_token": "at", "expires_at": "2030-01-02T03:04:05.000Z", "raw": []byte("{}")}},
		{c: store.Credentials{Type: "API_KEY", APIKey: "k"}, token: "k", view: map[string]any{"type": "API_KEY", "apiKey": "k"}},
		{c: store.Credentials{Type: "BASIC", Username: "u", Password: "p"}, header: "Basic dTpw",
			token: map[string]string{"username": "u", "password": "p"}, view: map[string]any{"type": "BASIC", "username": "u", "password": "p"}},
		{c: store.Credentials{Type: "OAUTH2_CC", Token: "t"}, header: "Bearer t", token: "t", refreshable: true,
			view: map[string]any{"type": "OAUTH2_CC", "token": "t", "raw": []byte("{}"), "client_id": "", "client_secret": ""}},
		{c: store.Credentials{Type: "JWT", Token: "t", Fields: map[string]string{"keyId": "k"}}, header: "Bearer t", token: "t", refreshable: true,
			view: map[string]any{"type": "JWT", "token": "t", "keyId": "k"}},
		{c: store.Credentials{Type: "OAUTH1", OAuthToken: "ot", OAuthTokenSecret: "os"},
			token: map[string]string{"oAuthToken": "ot", "oAuthTokenSecret": "os"},
			view:  map[string]any{"type": "OAUTH1", "oauth_token": "ot", "oauth_token_secret": "os", "raw": []byte("{}")}},
		{c: store.Credentials{Type: "APP", AccessToken: "ghs"}, header: "Bearer ghs", token: "ghs", refreshable: true,
			view: map[string]any{"type": "APP", "access_token": "ghs", "raw": []byte("{}")}},
		{c: store.Credentials{Type: "CUSTOM", AccessToken: "ghs", User: &store.Credentials{Type: "OAUTH2", AccessToken: "ghu", RefreshToken: "ghr", ExpiresAt: &exp}},
			header: "Bearer ghs", token: "ghs", refreshable: true,
			view: map[string]any{"type": "CUSTOM", "access_token": "ghs", "raw": []byte("{}"),
				"user": map[string]any{"access_token": "ghu", "expires_at": "2030-01-02T03:04:05.000Z"}}},
		{c: store.Credentials{Type: "NONE"}, view: map[string]any{"type": "NONE"}, token: ""},
	}
	for _, tc := range tests {
		c := tc.c
		if got := authmode.AuthorizationHeader(&c); got != tc.header {
			t.Errorf("%s: header %q, want %q", c.Type, got, tc.header)
		}
		if got := authmode.Token(&c); !reflect.DeepEqual(got, tc.token) {
			t.Errorf("%s: token %#v, want %#v", c.Type, got, tc.token)
		}
		if got := authmode.Refreshable(&c); got != tc.refreshable {
			t.Errorf("%s: refreshable %v, want %v", c.Type, got, tc.refreshable)
		}
		if got := authmode.Stranded(&c); got != tc.stranded {
			t.Errorf("%s: stranded %v, want %v", c.Type, got, tc.stranded)
		}
		got := authmode.View(&c, false)
		if !reflect.DeepEqual(normalize(got), normalize(tc.view)) {
			t.Errorf("%s: view %#v, want %#v", c.Type, got, tc.view)
		}
	}
}

// normalize turns raw JSON values into strings so views compare.
func normalize(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case []byte:
			out[k] = string(x)
		case interface{ MarshalJSON() ([]byte, error) }:
			b, _ := x.MarshalJSON()
			out[k] = string(b)
		default:
			out[k] = v
		}
	}
	return out
}

func TestSign(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return time.Unix(1700000000, 0) }
	app := &store.IntegrationCredentials{ClientID: "ck", ClientSecret: "cs"}
	r, _ := http.NewRequest(http.MethodGet, "https://api.example.com/1/me", nil)
	if err := authmode.Sign(r, app, &store.Credentials{Type: "OAUTH1", OAuthToken: "ot", OAuthTokenSecret: "os"}, now); err != nil {
		t.Fatal(err)
	}
	if h := r.Header.Get("Authorization"); h == "" {
		t.Error("an OAUTH1 request was not signed")
	}
	r2, _ := http.NewRequest(http.MethodGet, "https://api.example.com/", nil)
	if err := authmode.Sign(r2, app, &store.Credentials{Type: "OAUTH2", AccessToken: "at"}, now); err != nil || r2.Header.Get("Authorization") != "" {
		t.Errorf("an OAUTH2 request was signed (%v)", err)
	}
}

func TestForms(t *testing.T) {
	t.Parallel()
	required := []authmode.ProviderField{{Name: "keyId", Title: "Key ID"}}
	app := &store.IntegrationCredentials{ClientID: "app-id", ClientSecret: "app-secret"}
	tests := []struct {
		mode  string
		in    store.Credentials
		want  store.Credentials
		field string
	}{
		{mode: "API_KEY", in: store.Credentials{Type: "API_KEY", APIKey: " ", Username: "x"}, field: "apiKey"},
		{mode: "API_KEY", in: store.Credentials{Type: "API_KEY", APIKey: "k", Username: "x"}, want: store.Credentials{Type: "API_KEY", APIKey: "k"}},
		{mode: "BASIC", in: store.Credentials{Type: "BASIC"}, field: "username"},
		{mode: "BASIC", in: store.Credentials{Type: "BASIC", Password: "p"}, want: store.Credentials{Type: "BASIC", Password: "p"}},
		{mode: "OAUTH2_CC", in: store.Credentials{Type: "OAUTH2_CC"}, want: store.Credentials{Type: "OAUTH2_CC", ClientID: "app-id", ClientSecret: "app-secret"}},
		{mode: "OAUTH2_CC", in: store.Credentials{Type: "OAUTH2_CC", ClientID: "mine"}, field: "client_id"},
		{mode: "JWT", in: store.Credentials{Type: "JWT", Fields: map[string]string{"note": "n"}}, field: "keyId"},
		{mode: "JWT", in: store.Credentials{Type: "JWT", Fields: map[string]string{"keyId": "k"}}, want: store.Credentials{Type: "JWT", Fields: map[string]string{"keyId": "k"}}},
	}
	for _, tc := range tests {
		got, ferr := authmode.Get(tc.mode).Form.Check(required, app, tc.in)
		switch {
		case tc.field != "" && (ferr == nil || ferr.Field != tc.field):
			t.Errorf("%s %+v: error %v, want one on %s", tc.mode, tc.in, ferr, tc.field)
		case tc.field == "" && (ferr != nil || !reflect.DeepEqual(got, tc.want)):
			t.Errorf("%s %+v: %+v, %v; want %+v", tc.mode, tc.in, got, ferr, tc.want)
		}
	}
}

func TestPlaceholder(t *testing.T) {
	t.Parallel()
	for mode, want := range map[string]map[string]any{
		"":        {"type": "OAUTH2", "access_token": "test-access-token"},
		"APP":     {"type": "APP", "access_token": "test-access-token"},
		"API_KEY": {"type": "API_KEY", "apiKey": "test-api-key"},
		"BASIC":   {"type": "BASIC", "username": "test-user", "password": "test-password"},
	} {
		if got := authmode.Placeholder(mode); !reflect.DeepEqual(got, want) {
			t.Errorf("Placeholder(%q) = %v, want %v", mode, got, want)
		}
	}
}

// Every mechanism has one issuer, so what it makes is of a known mode.
func TestIssuers(t *testing.T) {
	t.Parallel()
	mints := map[authmode.Mint]string{authmode.MintRefreshToken: "OAUTH2", authmode.MintInstallation: "APP",
		authmode.MintClientCredentials: "OAUTH2_CC", authmode.MintJWT: "JWT", authmode.MintNone: ""}
	for k, want := range mints {
		if got := k.Issuer().Name; got != want {
			t.Errorf("mint kind %d: issuer %q, want %q", k, got, want)
		}
	}
	browsers := map[authmode.Browser]string{authmode.BrowserOAuth2: "OAUTH2", authmode.BrowserOAuth1: "OAUTH1",
		authmode.BrowserInstall: "APP", authmode.BrowserNone: ""}
	for b, want := range browsers {
		if got := b.Issuer().Name; got != want {
			t.Errorf("browser kind %d: issuer %q, want %q", b, got, want)
		}
	}
}
