// Package vault encrypts Patchbay's secrets at rest with AES-256-GCM.
//
// Every ciphertext is bound to the place it is stored through GCM's associated
// data: the caller passes the table, column and row id it will write the
// ciphertext to, so a ciphertext copied into another row (for example one
// tenant's client secret pasted over another's) fails to decrypt instead of
// leaking. Nonces are random; with 96-bit nonces and one key, the collision
// bound stays negligible far beyond the number of secrets a Patchbay install
// writes before a key rotation.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
)

// KeySize is the length in bytes of an encryption key (AES-256).
const KeySize = 32

// version prefixes every ciphertext so the format can evolve without
// guessing what an old row holds.
const version byte = 1

// ErrDecrypt reports a ciphertext that does not open with this key and
// associated data: a wrong key, a tampered value, or a value moved from
// another row. The reason is deliberately not distinguished.
var ErrDecrypt = errors.New("vault: ciphertext does not decrypt with this key")

// Vault seals and opens secrets with one key. It is safe for concurrent use.
type Vault struct {
	aead cipher.AEAD
	id   string
	// digests hands out HMAC-SHA256 states keyed for Digest (a key
	// derived from the vault's, never the key itself): keying one costs
	// as much as digesting a small record, so each is keyed once and
	// reset between uses.
	digests *sync.Pool
}

// New returns a Vault for a 32-byte key.
func New(key []byte) (*Vault, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("vault: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	sum := sha256.Sum256(append([]byte("patchbay key id\x00"), key...))
	digestKey, err := hkdf.Key(sha256.New, key, nil, "patchbay digest", sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	digests := &sync.Pool{New: func() any { return hmac.New(sha256.New, digestKey) }}
	return &Vault{aead: aead, id: hex.EncodeToString(sum[:6]), digests: digests}, nil
}

// Digest is a keyed digest of data (hex HMAC-SHA256 under a key derived
// from the vault's): equal data give equal digests, so a digest stored
// beside a ciphertext tells a changed value from an unchanged one. Unlike
// a plain hash it is no oracle: without the key, nobody holding the
// database can check a guess of what a ciphertext holds against it.
func (v *Vault) Digest(data []byte) string {
	m := v.digests.Get().(hash.Hash)
	m.Reset()
	m.Write(data)
	var sum [sha256.Size]byte
	out := hex.EncodeToString(m.Sum(sum[:0]))
	v.digests.Put(m)
	return out
}

// ParseKey decodes a base64 (standard or URL alphabet, padded or not) key of
// 32 bytes. The error never repeats the input, which is a secret.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("encryption key decodes to %d bytes, want %d (generate one with: openssl rand -base64 32)", len(key), KeySize)
		}
		return key, nil
	}
	return nil, errors.New("encryption key is not valid base64 (generate one with: openssl rand -base64 32)")
}

// GenerateKey returns a new random key, base64-encoded (standard alphabet).
func GenerateKey() string {
	key := make([]byte, KeySize)
	// crypto/rand.Read never fails on supported platforms (Go ≥ 1.24 panics instead).
	_, _ = rand.Read(key)
	return base64.StdEncoding.EncodeToString(key)
}

// ID is a short, non-secret fingerprint of the key, for logs and for telling
// keys apart during rotation.
func (v *Vault) ID() string { return v.id }

// Seal encrypts plaintext bound to aad. Use AAD to name where the value
// lives, e.g. AAD("integrations", "secrets", id).
func (v *Vault) Seal(plaintext, aad []byte) []byte {
	nonceSize := v.aead.NonceSize()
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+v.aead.Overhead())
	out[0] = version
	_, _ = rand.Read(out[1:])
	return v.aead.Seal(out, out[1:1+nonceSize], plaintext, aad)
}

// Open decrypts a value produced by Seal with the same aad. Any failure is
// ErrDecrypt.
func (v *Vault) Open(ciphertext, aad []byte) ([]byte, error) {
	nonceSize := v.aead.NonceSize()
	if len(ciphertext) < 1+nonceSize+v.aead.Overhead() || ciphertext[0] != version {
		return nil, ErrDecrypt
	}
	plaintext, err := v.aead.Open(nil, ciphertext[1:1+nonceSize], ciphertext[1+nonceSize:], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plaintext, nil
}

// AAD builds the associated data that binds a ciphertext to one column of
// one row. The parts are length-prefixed so ("ab","c") and ("a","bc") differ.
func AAD(table, column, rowID string) []byte {
	// Built by hand, not with fmt: it runs once per record a page of GET
	// /records opens. The bytes are what fmt's "%d:%s;" per part gave.
	b := make([]byte, 0, len(table)+len(column)+len(rowID)+16)
	for _, part := range [...]string{table, column, rowID} {
		b = strconv.AppendInt(b, int64(len(part)), 10)
		b = append(b, ':')
		b = append(b, part...)
		b = append(b, ';')
	}
	return b
}

// HashSecret returns the hex SHA-256 of a high-entropy secret such as an
// environment's secret key, which is stored only as this hash (plus a sealed
// copy for `patchbay keys`). A plain hash is enough because the secrets are
// random UUIDs, not passwords.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
