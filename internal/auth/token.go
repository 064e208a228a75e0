package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/store"
)

// tokenRequest is one call to a provider's token endpoint.
type tokenRequest struct {
	url string
	// template is the catalog's URL url was filled from, for the outbound
	// guard; config, when known, the connection config it was filled with.
	template     string
	config       map[string]any
	params       map[string]string
	clientID     string
	clientSecret string
	// basic sends the client credentials as HTTP Basic instead of in the
	// body.
	basic bool
	json  bool
}

// tokenError is a failed token request, classified.
type tokenError struct {
	status int
	// code is the OAuth error code (invalid_grant, …) when the provider
	// sent one.
	code        string
	description string
	// permanent failures will fail again however often they are retried:
	// the grant is revoked, expired or the client is wrong.
	permanent bool
	err       error
	// answer is an excerpt of the provider's answer, for logs only (see
	// answerExcerpt); Error leaves it out, since messages reach users.
	answer string
}

func (e *tokenError) Error() string {
	switch {
	case e.code != "" && e.description != "":
		return fmt.Sprintf("token endpoint answered %d %s: %s", e.status, e.code, e.description)
	case e.code != "":
		return fmt.Sprintf("token endpoint answered %d %s", e.status, e.code)
	case e.err != nil:
		return "token request failed: " + e.err.Error()
	}
	return fmt.Sprintf("token endpoint answered %d", e.status)
}

func (e *tokenError) Unwrap() error { return e.err }

// LogValue adds the provider's answer to the message in logs.
func (e *tokenError) LogValue() slog.Value { return slog.StringValue(causeText(e)) }

// do sends the token request and returns the decoded response. Providers
// answer in JSON or form encoding, some with 200 and an error member
// (GitHub, Slack), so the body decides success, not only the status.
func (s *Service) do(ctx context.Context, tr tokenRequest) (map[string]any, json.RawMessage, error) {
	form := url.Values{}
	for k, v := range tr.params {
		form.Set(k, v)
	}
	if !tr.basic {
		if tr.clientID != "" {
			form.Set("client_id", tr.clientID)
		}
		if tr.clientSecret != "" {
			form.Set("client_secret", tr.clientSecret)
		}
	}
	var body io.Reader
	contentType := "application/x-www-form-urlencoded"
	if tr.json {
		m := map[string]string{}
		for k := range form {
			m[k] = form.Get(k)
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, nil, err
		}
		body, contentType = bytes.NewReader(b), "application/json"
	} else {
		body = strings.NewReader(form.Encode())
	}
	ctx, target, err := s.target(ctx, tr.url, tr.template, tr.config)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), body)
	if err != nil {
		return nil, nil, &tokenError{permanent: true, err: fmt.Errorf("token URL: %w", err)}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	if tr.basic {
		req.SetBasicAuth(url.QueryEscape(tr.clientID), url.QueryEscape(tr.clientSecret))
	}
	resp, err := s.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if refused := s.refused(tr.template, tr.config, fromConfig, err); refused != nil {
			return nil, nil, refused // a dial or redirect the guard refused
		}
		// The URL is logged by net/http errors; ours carry no secret in
		// the URL because every credential goes in the body or a header.
		return nil, nil, &tokenError{err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, &tokenError{status: resp.StatusCode, err: err}
	}
	fields, rawJSON := decodeTokenBody(resp.Header.Get("Content-Type"), raw)
	code, _ := fields["error"].(string)
	desc, _ := fields["error_description"].(string)
	if ok, isBool := fields["ok"].(bool); isBool && !ok && code == "" {
		code = "invalid_request" // Slack's envelope without an error name
	}
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, nil, &tokenError{status: resp.StatusCode, code: code, description: desc, answer: answerExcerpt(raw, tr.secrets())}
	case resp.StatusCode >= 400 || code != "":
		// A 4xx without an OAuth error code is still the provider refusing
		// this request as made; retrying it unchanged will not help. Only
		// a timeout and temporarily_unavailable (RFC 6749 §4.1.2.1: the
		// server is overloaded or down for maintenance, sent by providers
		// whose status cannot say 503) are worth another try.
		if code == "" {
			code = "http_" + strconv.Itoa(resp.StatusCode)
		}
		return nil, nil, &tokenError{status: resp.StatusCode, code: code, description: desc, permanent: resp.StatusCode != http.StatusRequestTimeout && code != "temporarily_unavailable",
			answer: answerExcerpt(raw, tr.secrets())}
	case fields == nil:
		return nil, nil, &tokenError{status: resp.StatusCode, err: errors.New("the token response is neither JSON nor form-encoded"),
			answer: answerExcerpt(raw, tr.secrets())}
	}
	return fields, rawJSON, nil
}

// secrets are the values the request sends that an answer must not echo
// into logs: every parameter but the few that are public by design.
func (tr tokenRequest) secrets() []string {
	out := []string{tr.clientSecret}
	for k, v := range tr.params {
		switch k {
		case "grant_type", "redirect_uri", "scope", "client_id", "audience", "resource":
		default:
			out = append(out, v)
		}
	}
	return out
}

func decodeTokenBody(contentType string, raw []byte) (map[string]any, json.RawMessage) {
	mt, _, _ := mime.ParseMediaType(contentType)
	trimmed := bytes.TrimSpace(raw)
	if mt == "application/json" || strings.HasSuffix(mt, "+json") || bytes.HasPrefix(trimmed, []byte("{")) {
		var m map[string]any
		if err := json.Unmarshal(trimmed, &m); err == nil {
			return m, json.RawMessage(trimmed)
		}
		return nil, nil
	}
	vals, err := url.ParseQuery(string(trimmed))
	if err != nil || len(vals) == 0 {
		return nil, nil
	}
	m := make(map[string]any, len(vals))
	for k := range vals {
		m[k] = vals.Get(k)
	}
	b, _ := json.Marshal(m)
	return m, b
}

// oauth2Credentials turns a token response into stored credentials, of
// the mode that issues OAuth 2's (code grant, refresh and client-credentials
// callers retype theirs).
func oauth2Credentials(p *catalog.Provider, fields map[string]any, raw json.RawMessage, now time.Time, previous *store.Credentials) (store.Credentials, error) {
	c := store.Credentials{Type: authmode.BrowserOAuth2.Issuer().Name, Raw: raw}
	token, _ := lookupPath(fields, "access_token").(string)
	if token == "" && p.AlternateAccessTokenResponsePath != "" {
		// Slack puts the user token under authed_user when no bot scopes
		// were asked for; the path names a string or an object holding one.
		switch alt := lookupPath(fields, p.AlternateAccessTokenResponsePath).(type) {
		case string:
			token = alt
		case map[string]any:
			token, _ = alt["access_token"].(string)
			if c.RefreshToken, _ = alt["refresh_token"].(string); c.RefreshToken != "" {
				fields = alt
			}
		}
	}
	if token == "" {
		return c, &tokenError{err: errors.New("the token response has no access_token")}
	}
	c.AccessToken = token
	if c.RefreshToken == "" {
		c.RefreshToken, _ = lookupPath(fields, "refresh_token").(string)
	}
	if c.RefreshToken == "" && previous != nil {
		// Providers that do not rotate refresh tokens omit them from refresh
		// responses; the old one stays valid.
		c.RefreshToken = previous.RefreshToken
	}
	if d, ok := expiresIn(fields, p.ExpiresInUnit); ok {
		at := now.Add(d).UTC().Truncate(time.Second)
		c.ExpiresAt = &at
	}
	return c, nil
}

// expiresIn reads expires_in, which providers send as a number or a string.
func expiresIn(fields map[string]any, unit string) (time.Duration, bool) {
	var n float64
	switch v := fields["expires_in"].(type) {
	case float64:
		n = v
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, false
		}
		n = f
	default:
		return 0, false
	}
	if n <= 0 {
		return 0, false
	}
	if unit == "milliseconds" {
		return time.Duration(n) * time.Millisecond, true
	}
	return time.Duration(n) * time.Second, true
}

// lookupPath follows a dot path (authed_user.access_token) through nested
// objects.
func lookupPath(m map[string]any, path string) any {
	var cur any = m
	for _, seg := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[seg]
	}
	return cur
}

// clientCredentials says how an integration's client authenticates at the
// token endpoint.
func basicAuth(p *catalog.Provider) bool {
	return p.TokenRequestAuthMethod == "basic" || p.AuthorizationMethod == "header"
}
