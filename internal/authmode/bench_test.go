package authmode_test

import (
	"testing"

	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/store"
)

// BenchmarkAuthorizationHeader is the registry lookup every proxied
// request makes.
func BenchmarkAuthorizationHeader(b *testing.B) {
	c := &store.Credentials{Type: "OAUTH2", AccessToken: "at"}
	for b.Loop() {
		if authmode.AuthorizationHeader(c) == "" {
			b.Fatal("no header")
		}
	}
}
