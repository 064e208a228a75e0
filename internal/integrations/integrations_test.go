package integrations

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/store"
)

func pemOf(t *testing.T, typ string, der []byte) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestCheckRSAPrivateKey(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8RSA, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	pkcs8EC, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	pkcs1 := pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey))
	tests := []struct {
		name, key, wantErr string
	}{
		{"pkcs1", pkcs1, ""},
		{"pkcs1 with surrounding space", "\n  " + pkcs1 + "\n", ""},
		{"pkcs8 rsa", pemOf(t, "PRIVATE KEY", pkcs8RSA), ""},
		{"pkcs8 ec", pemOf(t, "PRIVATE KEY", pkcs8EC), "must be an RSA key"},
		{"not pem", "hello", "PEM-encoded"},
		{"public key", pemOf(t, "PUBLIC KEY", []byte{1, 2, 3}), "want RSA PRIVATE KEY"},
		{"corrupt body", pemOf(t, "RSA PRIVATE KEY", []byte("garbage")), "not a valid PKCS#1"},
		{"two blocks", pkcs1 + pkcs1, "exactly one PEM block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkRSAPrivateKey(tt.key)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestCredentialsRules(t *testing.T) {
	t.Parallel()
	cat, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key := pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey))
	oauth := &store.IntegrationCredentials{Type: "OAUTH2", ClientID: "i", ClientSecret: "s"}
	tests := []struct {
		name     string
		provider string
		creds    *store.IntegrationCredentials
		want     []string // "path:code" of each problem
	}{
		{"none", "github", nil, nil},
		{"oauth2", "github", oauth, nil},
		{"oauth2 full", "github", &store.IntegrationCredentials{Type: "OAUTH2", ClientID: "i", ClientSecret: "s", Scopes: "repo", WebhookSecret: "w"}, nil},
		{"no type", "github", &store.IntegrationCredentials{ClientID: "i"}, []string{"credentials.type:required"}},
		{"wrong type", "github", &store.IntegrationCredentials{Type: "OAUTH1", ClientID: "i", ClientSecret: "s"}, []string{"credentials.type:invalid"}},
		{"blank secret", "github", &store.IntegrationCredentials{Type: "OAUTH2", ClientID: "i", ClientSecret: "  "}, []string{"credentials.client_secret:required"}},
		{"foreign fields", "github", &store.IntegrationCredentials{Type: "OAUTH2", ClientID: "i", ClientSecret: "s", AppID: "1", AppLink: "https://x.test"},
			[]string{"credentials.app_id:not_allowed", "credentials.app_link:not_allowed"}},
		{"api key provider", "stripe-api-key", oauth, []string{"credentials:not_allowed"}},
		{"app", "github-app", &store.IntegrationCredentials{Type: "APP", AppID: "1", AppLink: "https://github.com/apps/x", PrivateKey: key}, nil},
		{"app missing all", "github-app", &store.IntegrationCredentials{Type: "APP"},
			[]string{"credentials.app_id:required", "credentials.app_link:required", "credentials.private_key:required"}},
		{"app bad link", "github-app", &store.IntegrationCredentials{Type: "APP", AppID: "1", AppLink: "ftp://x", PrivateKey: key}, []string{"credentials.app_link:invalid"}},
		{"custom", "github-app-oauth", &store.IntegrationCredentials{Type: "CUSTOM", ClientID: "i", ClientSecret: "s", AppID: "1", AppLink: "https://github.com/apps/x", PrivateKey: key}, nil},
		{"custom without app", "github-app-oauth", &store.IntegrationCredentials{Type: "CUSTOM", ClientID: "i", ClientSecret: "s"},
			[]string{"credentials.app_id:required", "credentials.app_link:required", "credentials.private_key:required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, ok := cat.Lookup(tt.provider)
			if !ok {
				t.Fatalf("provider %s is not in the catalog", tt.provider)
			}
			var v validator
			v.credentials(p, tt.creds)
			var got []string
			for _, pr := range v.problems {
				got = append(got, pathOf(pr)+":"+pr.Code)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("problems = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUniqueKeyRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  string
		code string
	}{
		{"github", ""}, {"github-app_oauth.v2", ""}, {"acme:prod@eu~1", ""}, {"A1", ""},
		{"", "required"}, {"-lead", "invalid"}, {"has space", "invalid"}, {"a/b", "invalid"}, {"é", "invalid"},
		{strings.Repeat("k", 255), ""}, {strings.Repeat("k", 256), "too_long"},
	}
	for _, tt := range tests {
		var v validator
		v.uniqueKey(tt.key)
		code := ""
		if len(v.problems) > 0 {
			code = v.problems[0].Code
		}
		if code != tt.code {
			t.Errorf("uniqueKey(%q) = %q, want %q", tt.key, code, tt.code)
		}
	}
}

// pathOf writes a problem's path with dots, indexes included.
func pathOf(p Problem) string {
	segs := make([]string, len(p.Path))
	for i, seg := range p.Path {
		segs[i] = fmt.Sprint(seg)
	}
	return strings.Join(segs, ".")
}
