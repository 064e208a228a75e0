package auth

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/patchbay/patchbay/internal/api/httperr"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/outbound"
	"github.com/patchbay/patchbay/internal/store"
)

// stubResolver answers from a table, "not found" otherwise, so unit tests
// never ask real DNS.
type stubResolver map[string][]netip.Addr

func (r stubResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if as, ok := r[host]; ok {
		return as, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestAuthorizationURL(t *testing.T) {
	s := &Service{now: time.Now, guard: outbound.NewGuard(outbound.GuardOptions{Resolver: stubResolver{
		"loop.p.example": {netip.MustParseAddr("127.0.0.1")},
	}})}
	integ := &store.Integration{Credentials: store.IntegrationCredentials{ClientID: "cid", Scopes: "a, b"}}
	cases := []struct {
		name     string
		provider catalog.Provider
		config   map[string]any
		in       StartInput
		want     map[string]string // "" means absent
		fragment string
		err      string
	}{
		{name: "defaults", provider: catalog.Provider{AuthorizationURL: "https://p.example/auth"},
			want: map[string]string{"client_id": "cid", "scope": "a b", "response_type": "code", "code_challenge_method": "S256"}},
		{name: "separator and catalog params", provider: catalog.Provider{AuthorizationURL: "https://p.example/auth?x=1", ScopeSeparator: ",",
			AuthorizationParams: map[string]string{"access_type": "offline", "prompt": "consent"}},
			want: map[string]string{"scope": "a,b", "access_type": "offline", "prompt": "consent", "x": "1"}},
		{name: "request overrides and removes", provider: catalog.Provider{AuthorizationURL: "https://p.example/auth",
			AuthorizationParams: map[string]string{"prompt": "consent", "audience": "api"}},
			in:   StartInput{AuthorizationParams: map[string]string{"prompt": "none", "audience": "undefined"}},
			want: map[string]string{"prompt": "none", "audience": ""}},
		{name: "pkce disabled", provider: catalog.Provider{AuthorizationURL: "https://p.example/auth", DisablePKCE: true},
			want: map[string]string{"code_challenge": "", "code_challenge_method": ""}},
		{name: "templated host", provider: catalog.Provider{AuthorizationURL: "https://${connectionConfig.subdomain}.p.example/auth"},
			config: map[string]any{"subdomain": "acme"}, want: map[string]string{"client_id": "cid"}},
		{name: "missing template value", provider: catalog.Provider{AuthorizationURL: "https://${connectionConfig.subdomain}.p.example/auth"},
			err: "missing_connection_config"},
		{name: "templated host out of its place", provider: catalog.Provider{AuthorizationURL: "https://${connectionConfig.subdomain}.p.example/auth"},
			config: map[string]any{"subdomain": "evil.com#"}, err: "invalid_connection_config"},
		{name: "templated host on loopback", provider: catalog.Provider{AuthorizationURL: "https://${connectionConfig.hostname}/auth"},
			config: map[string]any{"hostname": "127.0.0.1"}, err: "invalid_connection_config"},
		{name: "templated host resolving to loopback", provider: catalog.Provider{AuthorizationURL: "https://${connectionConfig.subdomain}.p.example/auth"},
			config: map[string]any{"subdomain": "loop"}, err: "invalid_connection_config"},
		{name: "not http", provider: catalog.Provider{AuthorizationURL: "javascript:alert(1)"}, err: "invalid_provider_config"},
		{name: "user scope", provider: catalog.Provider{AuthorizationURL: "https://p.example/auth", ScopeSeparator: ","},
			in: StartInput{UserScope: []string{"u1", "u2"}}, want: map[string]string{"user_scope": "u1,u2"}},
		{name: "fragment", provider: catalog.Provider{AuthorizationURL: "https://p.example/auth", AuthorizationURLFragment: "frag"}, fragment: "frag"},
		{name: "default scopes", provider: catalog.Provider{AuthorizationURL: "https://p.example/auth", DefaultScopes: []string{"d1", "d2"}},
			want: map[string]string{"scope": "a b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sess := &store.OAuthSession{ID: "state1", RedirectURI: "https://pb.example/oauth/callback", ConnectionConfig: tc.config}
			got, err := s.authorizationURL(t.Context(), &tc.provider, integ, sess, tc.in)
			if tc.err != "" {
				var ae *Error
				if !errors.As(err, &ae) || ae.Code != tc.err {
					t.Fatalf("err = %v, want code %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(got)
			q := u.Query()
			if q.Get("state") != "state1" || q.Get("redirect_uri") != sess.RedirectURI {
				t.Errorf("state/redirect_uri missing in %s", got)
			}
			for k, want := range tc.want {
				if q.Get(k) != want {
					t.Errorf("%s = %q, want %q (%s)", k, q.Get(k), want, got)
				}
			}
			if !tc.provider.DisablePKCE && sess.Secret == "" {
				t.Error("no PKCE verifier kept in the session")
			}
			if u.Fragment != tc.fragment {
				t.Errorf("fragment %q, want %q", u.Fragment, tc.fragment)
			}
		})
	}
	// Without integration scopes the provider's defaults apply.
	bare := &store.Integration{Credentials: store.IntegrationCredentials{ClientID: "cid"}}
	got, _ := s.authorizationURL(t.Context(), &catalog.Provider{AuthorizationURL: "https://p.example/auth", DefaultScopes: []string{"d1", "d2"}}, bare, &store.OAuthSession{}, StartInput{})
	if u, _ := url.Parse(got); u.Query().Get("scope") != "d1 d2" {
		t.Errorf("default scopes: %s", got)
	}
}

func TestCheckConnectionConfig(t *testing.T) {
	p := &catalog.Provider{ConnectionConfig: map[string]catalog.ConfigField{
		"subdomain": {Title: "Site", Pattern: "^[a-z0-9-]+$", Example: "acme"},
		"region":    {Title: "Region", Optional: true},
		"auto":      {Title: "Filled by us", Automated: true},
	}}
	cases := []struct {
		config map[string]any
		code   string
	}{
		{map[string]any{"subdomain": "acme"}, ""},
		{map[string]any{"subdomain": "acme", "region": "eu"}, ""},
		{map[string]any{}, "missing_connection_config"},
		{map[string]any{"subdomain": ""}, "missing_connection_config"},
		{map[string]any{"subdomain": "Not Valid!"}, "invalid_connection_config"},
	}
	for _, tc := range cases {
		err := checkConnectionConfig(p, tc.config)
		var ae *Error
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("%v: unexpected %v", tc.config, err)
		case tc.code != "" && (!errors.As(err, &ae) || ae.Code != tc.code || ae.Field[1] != "subdomain"):
			t.Errorf("%v: err = %v, want %s on params.subdomain", tc.config, err, tc.code)
		}
	}
}

func TestSignJWT(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	s := &Service{now: func() time.Time { return now }}
	p := &catalog.Provider{Name: "ghost-admin",
		Signature: &catalog.Signature{Protocol: "HMAC", HMACSecretEncoding: "hex"},
		Token: &catalog.TokenSpec{SigningKey: "${credentials.secret}", ExpiresInMs: 300000,
			Header:  map[string]string{"alg": "HS256", "typ": "JWT", "kid": "${credentials.keyId}"},
			Payload: map[string]any{"aud": "/admin/", "scope": []any{"a", "${connectionConfig.site}"}}}}
	secret := "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	creds, err := s.signJWT(p, map[string]any{"site": "blog"}, store.Credentials{Fields: map[string]string{"keyId": "kid1", "secret": secret}})
	if err != nil {
		t.Fatal(err)
	}
	if creds.Type != "JWT" || creds.ExpiresAt == nil || !creds.ExpiresAt.Equal(now.Add(5*time.Minute)) || creds.Fields["keyId"] != "kid1" {
		t.Fatalf("creds = %+v", creds)
	}
	key := []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	key = append(key, key...)
	tok, err := jwt.Parse(creds.Token, func(tk *jwt.Token) (any, error) { return key, nil },
		jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithValidMethods([]string{"HS256"}))
	if err != nil {
		t.Fatalf("token does not verify with the hex-decoded secret: %v", err)
	}
	claims := tok.Claims.(jwt.MapClaims)
	if tok.Header["kid"] != "kid1" || claims["aud"] != "/admin/" || claims["iat"] != float64(now.Unix()) {
		t.Errorf("header %v claims %v", tok.Header, claims)
	}
	if sc, _ := claims["scope"].([]any); len(sc) != 2 || sc[1] != "blog" {
		t.Errorf("scope claim = %v", claims["scope"])
	}
	if _, err := s.signJWT(p, nil, store.Credentials{Fields: map[string]string{"keyId": "k", "secret": "not hex"}}); err == nil {
		t.Error("a non-hex secret was accepted")
	}
}

func TestRefreshWindow(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/providers.yaml"
	yaml := "short-lived:\n    display_name: Short\n    auth_mode: OAUTH2\n    authorization_url: https://s.example/auth\n    token_url: https://s.example/token\n    token_expiration_buffer: 60\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &Service{catalog: cat, window: 15 * time.Minute, now: func() time.Time { return now }}
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	cases := []struct {
		provider string
		expires  *time.Time
		want     bool
	}{
		{"github", at(10 * time.Minute), true},       // inside the default window
		{"github", at(20 * time.Minute), false},      // outside it
		{"short-lived", at(10 * time.Minute), false}, // the provider's 60 s buffer
		{"short-lived", at(30 * time.Second), true},  // inside the buffer
		{"github", nil, false},                       // never expires
		{"unknown-provider", at(time.Minute), true},  // default window
	}
	for _, tc := range cases {
		c := &store.Connection{Provider: tc.provider, Credentials: store.Credentials{Type: "OAUTH2", ExpiresAt: tc.expires}}
		if got := s.expiring(c); got != tc.want {
			t.Errorf("%s expiring at %v: expiring = %v, want %v", tc.provider, tc.expires, got, tc.want)
		}
	}
}

// TestReservedAuthorizationParams: authorization_params may add to the
// provider's parameters but not replace those that bind the flow to its
// integration, its callback and its session.
func TestReservedAuthorizationParams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		params map[string]string
		field  string
	}{
		{map[string]string{"prompt": "consent", "access_type": "offline", "response_type": "code id_token"}, ""},
		{map[string]string{"state": "attacker"}, "state"},
		{map[string]string{"redirect_uri": "https://evil.example/cb"}, "redirect_uri"},
		{map[string]string{"Redirect_URI": "https://evil.example/cb"}, "Redirect_URI"},
		{map[string]string{"client_id": "other"}, "client_id"},
		{map[string]string{"code_challenge": "x"}, "code_challenge"},
		{map[string]string{"code_challenge_method": "plain"}, "code_challenge_method"},
		{map[string]string{"oauth_token": "t"}, "oauth_token"},
		{map[string]string{"oauth_callback": "https://evil.example/cb"}, "oauth_callback"},
		{map[string]string{"state": "undefined"}, "state"}, // removing is replacing too
	} {
		err := checkAuthorizationParams(tc.params)
		var ae *Error
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%v: unexpected %v", tc.params, err)
		case tc.field != "" && (!errors.As(err, &ae) || ae.Code != "invalid_authorization_params" ||
			len(ae.Field) != 2 || ae.Field[0] != "authorization_params" || ae.Field[1] != tc.field || httperr.Status(ae.Kind) != 400):
			t.Errorf("%v: err = %v, want invalid_authorization_params on authorization_params.%s", tc.params, err, tc.field)
		}
	}
}
