package trello

// This file checks OAuth 1.0a signatures (RFC 5849 §3.4) the way a
// provider does, from the request as received. It is deliberately written
// apart from internal/auth/oauth1 and shares no code with it: the
// simulator is the independent check of that client.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// errNotOAuth means the Authorization header uses another scheme.
var errNotOAuth = errors.New("not an OAuth authorization header")

// parseAuthorization reads an `Authorization: OAuth k="v", …` header
// (RFC 5849 §3.5.1) into its parameters, names and values
// percent-decoded. The realm is returned like any other parameter; the
// caller leaves it out of the signature. A parameter given twice is an
// error, as §3.2 asks.
func parseAuthorization(h string) (map[string]string, error) {
	h = strings.TrimSpace(h)
	scheme, rest := h, ""
	if i := strings.IndexAny(h, " \t"); i >= 0 {
		scheme, rest = h[:i], h[i:]
	}
	if !strings.EqualFold(scheme, "OAuth") {
		return nil, errNotOAuth
	}
	out := map[string]string{}
	for {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			return out, nil
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return nil, errors.New("malformed OAuth header")
		}
		rawName := strings.TrimSpace(rest[:eq])
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var rawValue string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, errors.New("malformed OAuth header: unterminated quote")
			}
			rawValue, rest = rest[1:1+end], rest[2+end:]
			if rest != "" && !strings.ContainsRune(", \t", rune(rest[0])) {
				return nil, errors.New("malformed OAuth header: text after a quoted value")
			}
		} else {
			end := strings.IndexAny(rest, ", \t")
			if end < 0 {
				end = len(rest)
			}
			rawValue, rest = rest[:end], rest[end:]
		}
		name, err1 := url.PathUnescape(rawName)
		value, err2 := url.PathUnescape(rawValue)
		if err1 != nil || err2 != nil || name == "" || strings.ContainsAny(name, " \t\"") {
			return nil, errors.New("malformed OAuth header: bad percent-encoding")
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("duplicate OAuth parameter %s", name)
		}
		out[name] = value
	}
}

// pair is one request parameter, decoded.
type pair struct{ k, v string }

// formPairs splits form-encoded text into decoded pairs, keeping order
// and duplicates.
func formPairs(s string) ([]pair, error) {
	var out []pair
	for _, part := range strings.Split(s, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			return nil, err
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			return nil, err
		}
		out = append(out, pair{dk, dv})
	}
	return out, nil
}

// oauthEncode is RFC 5849 §3.6: every octet outside A–Z a–z 0–9 - . _ ~
// becomes %XX with upper-case hex digits.
func oauthEncode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-._~", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// requestURI is the base string URI (§3.4.1.2) of a received request: the
// scheme and host the client used (X-Forwarded-Proto and -Host when a
// proxy sits in front), lower case, without a default port, and the path
// as sent.
func requestURI(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if fp := r.Header.Get("X-Forwarded-Proto"); fp != "" {
		scheme = strings.ToLower(strings.TrimSpace(strings.Split(fp, ",")[0]))
	}
	host := r.Host
	if fh := r.Header.Get("X-Forwarded-Host"); fh != "" {
		host = strings.TrimSpace(strings.Split(fh, ",")[0])
	}
	host = strings.ToLower(host)
	if h, port, err := net.SplitHostPort(host); err == nil {
		if scheme == "http" && port == "80" || scheme == "https" && port == "443" {
			host = h
			if strings.Contains(h, ":") {
				host = "[" + h + "]"
			}
		}
	}
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path
}

// signatureBase is §3.4.1.1's base string for a received request: its
// protocol parameters (without realm and oauth_signature), its query and
// its form-encoded body, encoded, sorted and joined.
func signatureBase(r *http.Request, oauth map[string]string, body []byte) (string, error) {
	ps, err := formPairs(r.URL.RawQuery)
	if err != nil {
		return "", err
	}
	if body != nil {
		bp, err := formPairs(string(body))
		if err != nil {
			return "", err
		}
		ps = append(ps, bp...)
	}
	for k, v := range oauth {
		if k != "realm" && k != "oauth_signature" {
			ps = append(ps, pair{k, v})
		}
	}
	for i := range ps {
		ps[i] = pair{oauthEncode(ps[i].k), oauthEncode(ps[i].v)}
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].k != ps[j].k {
			return ps[i].k < ps[j].k
		}
		return ps[i].v < ps[j].v
	})
	joined := make([]string, len(ps))
	for i, p := range ps {
		joined[i] = p.k + "=" + p.v
	}
	return strings.Join([]string{
		strings.ToUpper(r.Method),
		oauthEncode(requestURI(r)),
		oauthEncode(strings.Join(joined, "&")),
	}, "&"), nil
}

// formBody returns a form-encoded body's bytes (nil for any other body)
// and puts them back for the handler. Bodies over 1 MiB are refused.
func formBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil {
		return nil, err
	}
	if len(data) > 1<<20 {
		return nil, errors.New("body too large")
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	return data, nil
}

// expectedSignature computes what oauth_signature must be.
func expectedSignature(method, base, consumerSecret, tokenSecret string) string {
	key := oauthEncode(consumerSecret) + "&" + oauthEncode(tokenSecret)
	if method == "PLAINTEXT" {
		return key
	}
	mac := hmac.New(sha1.New, []byte(key))
	io.WriteString(mac, base)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// checkSignature verifies a request's OAuth 1.0a signature with the
// consumer and token secrets, its timestamp against the simulated clock
// and its nonce against those already seen. It returns Trello's
// plain-text 401 body, or "" when the request is good; a good request's
// nonce is then spent.
func (p *Provider) checkSignature(r *http.Request, oauth map[string]string, consumerSecret, tokenSecret string) string {
	method := oauth["oauth_signature_method"]
	if method != "HMAC-SHA1" && method != "PLAINTEXT" {
		return "invalid signature method"
	}
	if v, ok := oauth["oauth_version"]; ok && v != "1.0" {
		return "invalid oauth_version"
	}
	ts, nonce := oauth["oauth_timestamp"], oauth["oauth_nonce"]
	now := p.s.Clock.Now()
	// PLAINTEXT may leave out timestamp and nonce (RFC 5849 §3.4.4);
	// HMAC-SHA1 may not.
	if ts != "" || method == "HMAC-SHA1" {
		secs, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || secs < 0 {
			return "invalid timestamp"
		}
		if d := now.Sub(time.Unix(secs, 0)).Abs(); d > p.opts.TimestampWindow {
			return "invalid timestamp"
		}
		if nonce == "" {
			return "invalid nonce"
		}
	}
	base := ""
	if method == "HMAC-SHA1" {
		body, err := formBody(r)
		if err != nil {
			return "invalid signature"
		}
		if base, err = signatureBase(r, oauth, body); err != nil {
			return "invalid signature"
		}
	}
	want := expectedSignature(method, base, consumerSecret, tokenSecret)
	if subtle.ConstantTimeCompare([]byte(want), []byte(oauth["oauth_signature"])) != 1 {
		return "invalid signature"
	}
	if nonce != "" && !p.spendNonce(oauth["oauth_consumer_key"], oauth["oauth_token"], ts, nonce, now) {
		return "invalid nonce"
	}
	return ""
}

// spendNonce records a nonce for its consumer, token and timestamp; it
// reports false when that combination was seen already (a replay). Old
// entries are dropped once outside the timestamp window, since a request
// bearing their timestamp is refused anyway.
func (p *Provider) spendNonce(consumer, token, ts, nonce string, now time.Time) bool {
	key := strings.Join([]string{consumer, token, ts, nonce}, "\x00")
	secs, _ := strconv.ParseInt(ts, 10, 64)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, seen := p.nonces[key]; seen {
		return false
	}
	if len(p.nonces) >= 10000 {
		for k, t := range p.nonces {
			if now.Sub(t) > p.opts.TimestampWindow {
				delete(p.nonces, k)
			}
		}
	}
	p.nonces[key] = time.Unix(secs, 0)
	return true
}
