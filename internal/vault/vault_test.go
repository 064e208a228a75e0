package vault

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func testVault(t testing.TB) *Vault {
	t.Helper()
	key, err := ParseKey(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	v := testVault(t)
	other := testVault(t)
	aad := AAD("integrations", "secrets", "row-1")
	sealed := v.Seal([]byte("client-secret-value"), aad)

	if bytes.Contains(sealed, []byte("client-secret-value")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	if again := v.Seal([]byte("client-secret-value"), aad); bytes.Equal(again, sealed) {
		t.Fatal("two seals of the same value are identical: nonce reused")
	}

	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	badVersion := bytes.Clone(sealed)
	badVersion[0] = 9

	tests := []struct {
		name       string
		vault      *Vault
		ciphertext []byte
		aad        []byte
		want       string
		wantErr    bool
	}{
		{name: "round trip", vault: v, ciphertext: sealed, aad: aad, want: "client-secret-value"},
		{name: "other row", vault: v, ciphertext: sealed, aad: AAD("integrations", "secrets", "row-2"), wantErr: true},
		{name: "other column", vault: v, ciphertext: sealed, aad: AAD("integrations", "private_key", "row-1"), wantErr: true},
		{name: "other key", vault: other, ciphertext: sealed, aad: aad, wantErr: true},
		{name: "tampered", vault: v, ciphertext: tampered, aad: aad, wantErr: true},
		{name: "unknown version", vault: v, ciphertext: badVersion, aad: aad, wantErr: true},
		{name: "truncated", vault: v, ciphertext: sealed[:10], aad: aad, wantErr: true},
		{name: "empty", vault: v, ciphertext: nil, aad: aad, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.vault.Open(tt.ciphertext, tt.aad)
			if tt.wantErr {
				if !errors.Is(err, ErrDecrypt) {
					t.Fatalf("Open error = %v, want ErrDecrypt", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if string(got) != tt.want {
				t.Fatalf("Open = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAADIsUnambiguous(t *testing.T) {
	t.Parallel()
	if bytes.Equal(AAD("ab", "c", "d"), AAD("a", "bc", "d")) {
		t.Fatal("AAD parts run together")
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	raw := bytes.Repeat([]byte{0xfb}, KeySize)
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{name: "standard", in: base64.StdEncoding.EncodeToString(raw)},
		{name: "url", in: base64.URLEncoding.EncodeToString(raw)},
		{name: "raw url", in: base64.RawURLEncoding.EncodeToString(raw)},
		{name: "surrounding space", in: " " + base64.StdEncoding.EncodeToString(raw) + "\n"},
		{name: "short", in: base64.StdEncoding.EncodeToString(raw[:16]), wantErr: "decodes to 16 bytes"},
		{name: "not base64", in: "not a key!!", wantErr: "not valid base64"},
		{name: "empty", in: "", wantErr: "decodes to 0 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key, err := ParseKey(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseKey error = %v, want it to contain %q", err, tt.wantErr)
				}
				if tt.in != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
					t.Fatalf("error repeats the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKey: %v", err)
			}
			if !bytes.Equal(key, raw) {
				t.Fatalf("ParseKey = %x, want %x", key, raw)
			}
		})
	}
}

func TestNewRejectsWrongSize(t *testing.T) {
	t.Parallel()
	if _, err := New(make([]byte, 16)); err == nil {
		t.Fatal("New accepted a 16-byte key")
	}
}

func TestHashSecret(t *testing.T) {
	t.Parallel()
	h := HashSecret("d2c4c6a6-1b7e-4c36-9b0e-9f7f0a1b2c3d")
	if len(h) != 64 || h == HashSecret("d2c4c6a6-1b7e-4c36-9b0e-9f7f0a1b2c3e") {
		t.Fatalf("HashSecret = %q", h)
	}
}

func FuzzOpen(f *testing.F) {
	v := testVault(f)
	f.Add(v.Seal([]byte("x"), []byte("a")), []byte("a"))
	f.Add([]byte{1}, []byte{})
	f.Fuzz(func(t *testing.T, ciphertext, aad []byte) {
		if _, err := v.Open(ciphertext, aad); err != nil && !errors.Is(err, ErrDecrypt) {
			t.Fatalf("Open error %v is not ErrDecrypt", err)
		}
	})
}

func BenchmarkSealOpen(b *testing.B) {
	v := testVault(b)
	aad := AAD("connections", "credentials", "0193b1c4-7a4e-7c1d-9d7e-3a8f5b6c7d8e")
	secret := []byte(`{"access_token":"gho_0123456789abcdef0123456789abcdef0123","refresh_token":"ghr_abcdef"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Open(v.Seal(secret, aad), aad); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAADIsStable pins the associated data's bytes: every stored ciphertext
// was sealed with them, so a change would make the whole database unreadable.
func TestAADIsStable(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ table, column, id, want string }{
		{"integrations", "secrets", "0190f2c4-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "12:integrations;7:secrets;36:0190f2c4-1a2b-7c3d-8e4f-5a6b7c8d9e0f;"},
		{"", "", "", "0:;0:;0:;"},
		{"records", "payload", "c\x00Contact\x00base\x00é", "7:records;7:payload;17:c\x00Contact\x00base\x00é;"},
	} {
		if got := string(AAD(c.table, c.column, c.id)); got != c.want {
			t.Errorf("AAD(%q, %q, %q) = %q, want %q", c.table, c.column, c.id, got, c.want)
		}
	}
}

func TestDigest(t *testing.T) {
	t.Parallel()
	newVault := func(seed byte) *Vault {
		key := bytes.Repeat([]byte{seed}, KeySize)
		v, err := New(key)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a, b := newVault(1), newVault(2)
	data := []byte(`{"id":"1","email":"ada@example.com"}`)
	d := a.Digest(data)
	plain := sha256.Sum256(data)
	cases := []struct {
		name string
		ok   bool
	}{
		{"equal data, equal digests", a.Digest(append([]byte(nil), data...)) == d},
		{"other data, other digest", a.Digest([]byte(`{"id":"1","email":"bob@example.com"}`)) != d},
		{"another key, another digest", b.Digest(data) != d},
		{"not the plain SHA-256", d != hex.EncodeToString(plain[:])},
		{"hex of 32 bytes", len(d) == 64},
		// Pinned: a stored digest must mean the same after an upgrade.
		{"stable", newVault(7).Digest([]byte("x")) == "2e738adc2a5f4da8893201ee4fcc50350e6058ee6ce5a6a0b4708d29303c2e8c"},
	}
	for _, c := range cases {
		if !c.ok {
			t.Errorf("%s: digest %s", c.name, d)
		}
	}
}

// BenchmarkDigest digests a 1 KiB record, as a sync's store does per
// record it saves.
func BenchmarkDigest(b *testing.B) {
	v := testVault(b)
	data := bytes.Repeat([]byte(`{"id":"1","n":2}`), 64)
	b.ReportAllocs()
	for b.Loop() {
		_ = v.Digest(data)
	}
}
