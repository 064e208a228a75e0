package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestEncode(t *testing.T) {
	cases := []struct {
		name string
		in   any
		want string
	}{
		{"struct fields sorted", AuthPayload{Type: "auth", Operation: "creation", ConnectionID: "c", AuthMode: "OAUTH2", ProviderConfigKey: "k", Provider: "p", Environment: "dev", Success: true},
			`{"authMode":"OAUTH2","connectionId":"c","environment":"dev","operation":"creation","provider":"p","providerConfigKey":"k","success":true,"type":"auth"}`},
		{"nested maps sorted", map[string]any{"b": map[string]any{"z": 1, "a": 2}, "a": []any{map[string]any{"y": 1, "x": 2}}},
			`{"a":[{"x":2,"y":1}],"b":{"a":2,"z":1}}`},
		{"large numbers kept exactly", map[string]any{"id": int64(9007199254740993)}, `{"id":9007199254740993}`},
		{"optional members left out", AuthPayload{Type: "auth", Error: &AuthErrorField{Type: "refresh_token_invalid", Description: "d"}},
			`{"authMode":"","connectionId":"","environment":"","error":{"description":"d","type":"refresh_token_invalid"},"operation":"","provider":"","providerConfigKey":"","success":false,"type":"auth"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Encode(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("Encode =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestSign(t *testing.T) {
	body := []byte(`{"type":"auth"}`)
	mac := hmac.New(sha256.New, []byte("key"))
	mac.Write(body)
	if got, want := Sign("key", body), hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if Sign("other", body) == Sign("key", body) {
		t.Error("the signature does not depend on the key")
	}
}
