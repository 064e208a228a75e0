package oauth1

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/patchbay/patchbay/internal/redact"
)

const (
	// maxCredentialsBody bounds a successful credentials response.
	maxCredentialsBody = 64 << 10
	// maxErrorBody is how much of a refusal's body an Error keeps.
	maxErrorBody = 1 << 10
)

// Error is a provider's refusal of a credentials request: an answer with a
// status outside 2xx. Body is what the provider said, at most 1 KiB, with
// every secret the client sent replaced by "[REDACTED]", so it can be
// logged and shown.
type Error struct {
	// Op is the request refused: "request token" or "access token".
	Op         string
	StatusCode int
	Body       string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("oauth1: %s: %d %s", e.Op, e.StatusCode, http.StatusText(e.StatusCode))
	if b := strings.TrimSpace(e.Body); b != "" {
		msg += ": " + b
	}
	return msg
}

// Rejected reports whether the provider refused the credentials (a 4xx
// other than 429): retrying the same request will not help.
func (e *Error) Rejected() bool {
	return e.StatusCode >= 400 && e.StatusCode < 500 && e.StatusCode != http.StatusTooManyRequests
}

// Temporary reports whether the refusal is the provider's trouble (5xx)
// or a rate limit (429), so the same request may succeed later.
func (e *Error) Temporary() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests
}

// ErrBadResponse is wrapped by the errors for a 2xx answer that does not
// hold the credentials RFC 5849 requires. Their messages never quote the
// body, which may hold issued secrets.
var ErrBadResponse = errors.New("oauth1: malformed credentials response")

// RequestToken obtains temporary credentials (RFC 5849 §2.1) with a signed
// POST to requestURL. callbackURL becomes oauth_callback ("oob" when
// empty); params are sent as form body parameters (and signed), for
// providers that take more, such as Twitter's x_auth_access_type. raw is
// the whole response, oauth_token and oauth_token_secret included.
func (c *Client) RequestToken(ctx context.Context, requestURL, callbackURL string, params map[string]string) (token, secret string, raw url.Values, err error) {
	if callbackURL == "" {
		callbackURL = "oob"
	}
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	raw, err = c.credentials(ctx, "request token", requestURL, form, "", "",
		map[string]string{"oauth_callback": callbackURL})
	if err != nil {
		return "", "", nil, err
	}
	if confirmed, ok := raw["oauth_callback_confirmed"]; ok && (len(confirmed) != 1 || confirmed[0] != "true") {
		return "", "", nil, fmt.Errorf("%w: request token: oauth_callback_confirmed is %q, not \"true\"", ErrBadResponse, strings.Join(confirmed, ","))
	}
	return raw.Get("oauth_token"), raw.Get("oauth_token_secret"), raw, nil
}

// AuthorizeURL is the URL to send the resource owner to (RFC 5849 §2.2):
// authorizationURL with oauth_token and params (Trello's name, scope,
// expiration) added to its query.
func (c *Client) AuthorizeURL(authorizationURL, token string, params map[string]string) (string, error) {
	u, err := url.Parse(authorizationURL)
	if err != nil {
		return "", fmt.Errorf("oauth1: authorization URL: %w", err)
	}
	if !u.IsAbs() || u.Host == "" {
		return "", fmt.Errorf("oauth1: authorization URL %q is not absolute", authorizationURL)
	}
	if token == "" {
		return "", errors.New("oauth1: authorization URL: the request token is empty")
	}
	q := u.Query()
	for k, v := range params {
		q.Set(k, v)
	}
	q.Set("oauth_token", token)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// AccessToken exchanges authorized temporary credentials and the verifier
// the callback received for token credentials (RFC 5849 §2.3), with a
// POST to tokenURL signed with the request token and its secret.
func (c *Client) AccessToken(ctx context.Context, tokenURL, requestToken, requestTokenSecret, verifier string) (token, secret string, raw url.Values, err error) {
	if requestToken == "" {
		return "", "", nil, errors.New("oauth1: access token: the request token is empty")
	}
	raw, err = c.credentials(ctx, "access token", tokenURL, nil, requestToken, requestTokenSecret,
		map[string]string{"oauth_verifier": verifier})
	if err != nil {
		return "", "", nil, err
	}
	return raw.Get("oauth_token"), raw.Get("oauth_token_secret"), raw, nil
}

// credentials sends one signed credentials request and parses the
// form-encoded answer, which must hold oauth_token and oauth_token_secret.
func (c *Client) credentials(ctx context.Context, op, endpoint string, form url.Values, token, tokenSecret string, extra map[string]string) (url.Values, error) {
	var body io.Reader
	if len(form) > 0 {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, body)
	if err != nil {
		return nil, fmt.Errorf("oauth1: %s: %w", op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/x-www-form-urlencoded, text/plain, */*")
	if err := c.Sign(req, token, tokenSecret, extra); err != nil {
		return nil, err
	}
	if c.HTTPClient == nil {
		// The caller chooses the client, and with it which addresses the
		// provider's URLs may reach; there is no unguarded default.
		return nil, fmt.Errorf("oauth1: %s: Client.HTTPClient is not set", op)
	}
	res, err := c.HTTPClient.Do(req)
	if err != nil {
		// The transport's error names the URL, never a header.
		return nil, fmt.Errorf("oauth1: %s: %w", op, err)
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		sent := []string{c.ConsumerSecret, tokenSecret, extra["oauth_verifier"]}
		return nil, &Error{Op: op, StatusCode: res.StatusCode, Body: errorBody(res.Body, sent)}
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, maxCredentialsBody+1))
	if err != nil {
		return nil, fmt.Errorf("oauth1: %s: reading the response: %w", op, err)
	}
	if len(data) > maxCredentialsBody {
		return nil, fmt.Errorf("%w: %s: the response is over %d bytes", ErrBadResponse, op, maxCredentialsBody)
	}
	values, err := parseCredentials(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %d bytes of %q that are not form-encoded", ErrBadResponse, op, len(data), res.Header.Get("Content-Type"))
	}
	if values.Get("oauth_token") == "" {
		return nil, fmt.Errorf("%w: %s: no oauth_token", ErrBadResponse, op)
	}
	if _, ok := values["oauth_token_secret"]; !ok {
		return nil, fmt.Errorf("%w: %s: no oauth_token_secret", ErrBadResponse, op)
	}
	return values, nil
}

// parseCredentials reads a credentials response body (RFC 5849 §2.1:
// application/x-www-form-urlencoded). Providers add a trailing newline
// now and then; a body that is not form-encoded at all (an HTML page, a
// JSON error) is an error.
func parseCredentials(data []byte) (url.Values, error) {
	s := strings.TrimSpace(string(data))
	if !utf8.ValidString(s) || strings.ContainsAny(s, " \t\r\n<>{}\"") {
		return nil, errors.New("not form-encoded")
	}
	pairs, err := parseForm(s)
	if err != nil {
		return nil, err
	}
	out := url.Values{}
	for _, p := range pairs {
		if p.name == "" {
			return nil, errors.New("a parameter has no name")
		}
		out.Add(p.name, p.value)
	}
	return out, nil
}

// errorBody reads up to 64 KiB of a refusal, blanks out every secret sent
// in any of the encodings it may have been echoed in, then keeps at most
// maxErrorBody bytes. Blanking before truncating means no secret's prefix
// can survive at the cut.
func errorBody(r io.Reader, secrets []string) string {
	data, _ := io.ReadAll(io.LimitReader(r, 64<<10))
	s := redactSecrets(string(data), secrets)
	if len(s) > maxErrorBody {
		cut := maxErrorBody
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// redactSecrets replaces each non-empty secret as sent raw, percent-encoded
// once (a PLAINTEXT signature) or twice (that signature in the
// Authorization header), or form-encoded.
func redactSecrets(s string, secrets []string) string {
	var forms []string
	for _, sec := range secrets {
		if sec != "" {
			forms = append(forms, sec, PercentEncode(sec), PercentEncode(PercentEncode(sec)), url.QueryEscape(sec))
		}
	}
	return redact.Forms(s, forms)
}
