package catalog

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// templateFunc is a helper callable as ${name(args)} in a template.
type templateFunc struct {
	// arity is the argument count; -1 accepts any. Single-argument helpers
	// take their whole argument text, commas included.
	arity int
	eval  func(args []string) (string, error)
	// unavailable says why a helper Nango's file uses cannot run inside
	// Interpolate (eval is nil); the proxy implements those itself.
	unavailable string
}

// templateFuncs is the registry of helpers; adding one touches only this
// table.
var templateFuncs = map[string]templateFunc{
	"base64": {arity: 1, eval: func(a []string) (string, error) {
		return base64.StdEncoding.EncodeToString([]byte(a[0])), nil
	}},
	"sha256Hex": {arity: 1, eval: func(a []string) (string, error) {
		sum := sha256.Sum256([]byte(a[0]))
		return hex.EncodeToString(sum[:]), nil
	}},
	"sha256Base64": {arity: 1, eval: func(a []string) (string, error) {
		sum := sha256.Sum256([]byte(a[0]))
		return base64.StdEncoding.EncodeToString(sum[:]), nil
	}},
	// hmacSha1Hex(message, key)
	"hmacSha1Hex": {arity: 2, eval: func(a []string) (string, error) {
		mac := hmac.New(sha1.New, []byte(a[1]))
		mac.Write([]byte(a[0]))
		return hex.EncodeToString(mac.Sum(nil)), nil
	}},
	"awsSigV4":    {arity: -1, unavailable: "it signs the outgoing request, so the proxy computes it"},
	"ed25519Sign": {arity: -1, unavailable: "it signs the outgoing request, so the proxy computes it"},
	"fingerprint": {arity: 1, unavailable: "it derives a key fingerprint, which the JWT signer computes"},
}
