package oauth1

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Signature methods (RFC 5849 §3.4). RSA-SHA1 is not supported: none of
// the catalog's OAuth 1.0a providers needs it.
const (
	HMACSHA1  = "HMAC-SHA1"
	PLAINTEXT = "PLAINTEXT"
)

// maxSignedBody bounds how much of a form-encoded body Sign reads to
// collect its parameters.
const maxSignedBody = 10 << 20

// Client is one OAuth 1.0a client registration (a consumer). Its zero
// values are usable for signing: HMAC-SHA1, the real clock and random
// nonces; the credentials requests need HTTPClient. A Client is safe for
// concurrent use.
type Client struct {
	// ConsumerKey and ConsumerSecret are the app's client credentials
	// (Trello's API key and OAuth secret).
	ConsumerKey    string
	ConsumerSecret string
	// SignatureMethod is HMACSHA1 (the default when empty) or PLAINTEXT.
	SignatureMethod string
	// HTTPClient sends the credential requests. It is required: the
	// provider's URLs may come from templates filled by end users, so the
	// caller's client applies its address policy (Patchbay's is
	// internal/outbound's).
	HTTPClient *http.Client
	// Now gives oauth_timestamp; nil means time.Now. Tests fix it.
	Now func() time.Time
	// Nonce gives oauth_nonce; nil means 16 random bytes in hex.
	Nonce func() string
}

// protocolParams are the oauth_* parameters Sign sets itself; extra may
// not override them.
var protocolParams = map[string]bool{
	"oauth_consumer_key":     true,
	"oauth_token":            true,
	"oauth_signature_method": true,
	"oauth_signature":        true,
	"oauth_timestamp":        true,
	"oauth_nonce":            true,
	"oauth_version":          true,
}

// Sign signs req with the client's credentials and the token credentials
// (token "" for the temporary-credentials request) and sets its
// Authorization header. extra adds protocol parameters such as
// oauth_callback or oauth_verifier; its names must start with "oauth_".
// A form-encoded body is read to sign its parameters and put back.
func (c *Client) Sign(req *http.Request, token, tokenSecret string, extra map[string]string) error {
	method, err := c.method()
	if err != nil {
		return err
	}
	oauth := map[string]string{
		"oauth_consumer_key":     c.ConsumerKey,
		"oauth_signature_method": method,
		"oauth_timestamp":        strconv.FormatInt(c.now().Unix(), 10),
		"oauth_nonce":            c.nonce(),
		"oauth_version":          "1.0",
	}
	if token != "" {
		oauth["oauth_token"] = token
	}
	for k, v := range extra {
		if !strings.HasPrefix(k, "oauth_") || protocolParams[k] {
			return fmt.Errorf("oauth1: extra parameter %q: only oauth_* parameters other than those Sign sets may be given", k)
		}
		oauth[k] = v
	}

	base := ""
	if method == HMACSHA1 {
		// PLAINTEXT signs no base string, so it leaves the body alone.
		if base, err = baseString(req, oauth); err != nil {
			return err
		}
	}
	oauth["oauth_signature"] = signature(method, base, c.ConsumerSecret, tokenSecret)
	req.Header.Set("Authorization", authorizationHeader(oauth))
	return nil
}

// signature is §3.4.2's HMAC-SHA1 of the base string, base64-encoded, or
// for PLAINTEXT (§3.4.4) the key itself.
func signature(method, base, consumerSecret, tokenSecret string) string {
	key := signingKey(consumerSecret, tokenSecret)
	if method == PLAINTEXT {
		return key
	}
	mac := hmac.New(sha1.New, []byte(key))
	mac.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (c *Client) method() (string, error) {
	switch c.SignatureMethod {
	case "", HMACSHA1:
		return HMACSHA1, nil
	case PLAINTEXT:
		return PLAINTEXT, nil
	default:
		return "", fmt.Errorf("oauth1: unsupported signature method %q", c.SignatureMethod)
	}
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) nonce() string {
	if c.Nonce != nil {
		return c.Nonce()
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// signingKey is §3.4.2's key, which is also the PLAINTEXT signature
// (§3.4.4): both secrets encoded and joined by '&', even when empty.
func signingKey(consumerSecret, tokenSecret string) string {
	return PercentEncode(consumerSecret) + "&" + PercentEncode(tokenSecret)
}

// authorizationHeader renders §3.5.1's header: names and values
// percent-encoded, values quoted, in name order so the header is
// deterministic.
func authorizationHeader(oauth map[string]string) string {
	names := make([]string, 0, len(oauth))
	for k := range oauth {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("OAuth ")
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(PercentEncode(k))
		b.WriteString(`="`)
		b.WriteString(PercentEncode(oauth[k]))
		b.WriteByte('"')
	}
	return b.String()
}

// baseString is the signature base string of §3.4.1.1 for req with the
// protocol parameters oauth (without oauth_signature).
func baseString(req *http.Request, oauth map[string]string) (string, error) {
	uri, err := baseStringURI(req)
	if err != nil {
		return "", err
	}
	params, err := requestParams(req)
	if err != nil {
		return "", err
	}
	for k, v := range oauth {
		params = append(params, param{k, v})
	}
	return strings.ToUpper(req.Method) + "&" + PercentEncode(uri) + "&" + PercentEncode(normalize(params)), nil
}

// baseStringURI is §3.4.1.2: scheme and host in lower case, the port only
// when it is not the scheme's default, the path as sent ("/" when empty),
// no query or fragment. The host is the one the server will see: req.Host
// when set, as net/http sends it, else the URL's.
func baseStringURI(req *http.Request) (string, error) {
	u := req.URL
	if u == nil || u.Scheme == "" {
		return "", errors.New("oauth1: the request URL must be absolute")
	}
	host := req.Host
	if host == "" {
		host = u.Host
	}
	if host == "" {
		return "", errors.New("oauth1: the request URL has no host")
	}
	scheme := strings.ToLower(u.Scheme)
	hu := &url.URL{Host: strings.ToLower(host)}
	name, port := hu.Hostname(), hu.Port()
	if strings.Contains(name, ":") {
		name = "[" + name + "]"
	}
	if port != "" && !(scheme == "http" && port == "80" || scheme == "https" && port == "443") {
		name += ":" + port
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + name + path, nil
}

type param struct{ name, value string }

// requestParams collects §3.4.1.3.1's non-protocol parameters: the query,
// and the body when it is single-part form-encoded. The body is read and
// put back so the request can still be sent.
func requestParams(req *http.Request) ([]param, error) {
	params, err := parseForm(req.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("oauth1: query: %w", err)
	}
	if req.Body == nil || req.Body == http.NoBody {
		return params, nil
	}
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return params, nil
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, maxSignedBody+1))
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("oauth1: reading the body to sign: %w", err)
	}
	if len(body) > maxSignedBody {
		return nil, fmt.Errorf("oauth1: a form body over %d bytes cannot be signed", maxSignedBody)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.ContentLength = int64(len(body))
	bodyParams, err := parseForm(string(body))
	if err != nil {
		return nil, fmt.Errorf("oauth1: body: %w", err)
	}
	return append(params, bodyParams...), nil
}

// parseForm decodes application/x-www-form-urlencoded text into pairs in
// order, duplicates kept ('+' is a space, a name without '=' has an empty
// value). Unlike url.ParseQuery it treats ';' as an ordinary character,
// as the signature must.
func parseForm(s string) ([]param, error) {
	var out []param
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		n, err := url.QueryUnescape(name)
		if err != nil {
			return nil, err
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			return nil, err
		}
		out = append(out, param{n, v})
	}
	return out, nil
}

// normalize is §3.4.1.3.2: encode every name and value, sort by name then
// value in byte order, join as name=value with '&'.
func normalize(params []param) string {
	enc := make([]param, len(params))
	for i, p := range params {
		enc[i] = param{PercentEncode(p.name), PercentEncode(p.value)}
	}
	slices.SortFunc(enc, func(a, b param) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// PercentEncode is RFC 5849 §3.6's encoding: the UTF-8 bytes of s, with
// every byte but RFC 3986's unreserved characters (ALPHA, DIGIT, '-',
// '.', '_', '~') written as %XX in upper-case hex. It differs from
// url.QueryEscape only in writing a space as %20 where QueryEscape writes
// '+', which a signature base string must never contain.
func PercentEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexDigits = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
