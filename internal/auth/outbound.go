package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/outbound"
	"github.com/patchbay/patchbay/internal/redact"
)

// Where connection-config values come from, as error paths name them: the
// flows' params[…] and POST /connections' connection_config.
const (
	fromParams = "params"
	fromConfig = "connection_config"
)

// urlTemplates are the provider's URL templates, each a place a
// connection-config value may send a request or a browser.
func urlTemplates(p *catalog.Provider) []string {
	var out []string
	add := func(t string) {
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	add(p.AuthorizationURL)
	add(p.TokenURL)
	for _, mode := range slices.Sorted(maps.Keys(p.TokenURLByMode)) {
		add(p.TokenURLByMode[mode])
	}
	add(p.RefreshURL)
	add(p.RequestURL)
	if p.Proxy != nil {
		add(p.Proxy.BaseURL)
		if v := p.Proxy.Verification; v != nil {
			add(v.BaseURLOverride)
		}
	}
	return out
}

// checkConfigURLs refuses, before anything is sent, saved or a browser is
// redirected, connection-config values that would move one of the
// provider's URLs somewhere else: each value must fit its placeholder's
// place (a host label, a host name, a port, a path segment, an http(s)
// origin), and each URL filled with them must name a host the outbound
// policy allows, DNS answers included. from names where the values came
// from in the error. The installation link of a GitHub App is the
// integration's (withIntegrationConfig), not a value to check here.
func (s *Service) checkConfigURLs(ctx context.Context, p *catalog.Provider, config map[string]any, from string) error {
	for _, tmpl := range urlTemplates(p) {
		if tmpl == p.AuthorizationURL && authmode.Get(p.AuthMode).Browser == authmode.BrowserInstall {
			continue
		}
		for _, ph := range s.guard.Placeholders(tmpl) {
			name, ok := strings.CutPrefix(ph.Name, "connectionConfig.")
			if !ok {
				continue
			}
			val, present := config[name]
			v, scalar := scalarString(val)
			if !present || !scalar {
				continue
			}
			if err := s.guard.CheckValue(ph.Part, v); err != nil {
				return configRefused(from, name, fmt.Sprintf("must be %s", ph.Part), err)
			}
		}
		filled, ok := fillForCheck(tmpl, config, s.now)
		if !ok {
			continue // a value it needs is missing: the flow says so where it is used
		}
		if _, err := s.guard.Preflight(ctx, filled, tmpl); err != nil {
			return s.refused(tmpl, config, from, err)
		}
	}
	return nil
}

// fillForCheck fills a URL template with the connection config, and any
// other value it refers to (credentials, which the check does not judge)
// with a stand-in.
func fillForCheck(tmpl string, config map[string]any, now func() time.Time) (string, bool) {
	values := TemplateValues(config, nil, now())
	names, err := catalog.Placeholders(tmpl)
	if err != nil {
		return "", false
	}
	for _, n := range names {
		if _, set := values[n]; !set && !strings.HasPrefix(n, "connectionConfig.") && n != "now" {
			values[n] = "x"
		}
	}
	filled, err := catalog.Interpolate(tmpl, values)
	return filled, err == nil
}

// target checks a URL filled from a catalog template just before a
// request to it (Check; the dial checks DNS) and returns ctx carrying the
// template's allowance for the catalog's own hosts.
func (s *Service) target(ctx context.Context, filled, tmpl string, config map[string]any) (context.Context, *url.URL, error) {
	u, err := s.guard.Check(filled, tmpl)
	if err != nil {
		return ctx, nil, s.refused(tmpl, config, fromConfig, err)
	}
	return s.guard.WithBase(ctx, tmpl), u, nil
}

// refused turns the guard's refusal of a URL filled from tmpl (or of a
// dial or redirect of a request to it) into a 400 naming the
// connection-config value that chose its host, or nil when err is not a
// refusal. config, when known, narrows the candidates to the values set.
// A refusal of the catalog's own URL is the provider entry's fault.
func (s *Service) refused(tmpl string, config map[string]any, from string, err error) error {
	var ge *outbound.GuardError
	if !errors.As(err, &ge) {
		return nil
	}
	var host, other []string
	for _, ph := range s.guard.Placeholders(tmpl) {
		name, ok := strings.CutPrefix(ph.Name, "connectionConfig.")
		if _, present := config[name]; !ok || (config != nil && !present) {
			continue
		}
		if ph.Part.Host() {
			host = append(host, name)
		} else {
			other = append(other, name)
		}
	}
	if len(host) == 0 {
		host = other
	}
	if len(host) == 0 {
		return &Error{Kind: fault.Invalid, Code: "invalid_provider_config",
			Message: "the provider's catalog entry points at an address Patchbay may not reach: " + ge.Reason, Err: err}
	}
	return configRefused(from, host[0], "is refused", err)
}

func configRefused(from, name, what string, err error) *Error {
	reason := err.Error()
	var ge *outbound.GuardError
	if errors.As(err, &ge) {
		reason = ge.Reason
	}
	return &Error{Kind: fault.Invalid, Code: "invalid_connection_config",
		Message: fmt.Sprintf("connection config %q %s: %s", name, what, reason), Field: []string{from, name}, Err: err}
}

// causeText is an error as logs show it: its message, and the provider's
// answer when it is (or wraps) a token endpoint's refusal.
func causeText(err error) string { return err.Error() + answerOf(err) }

func answerOf(err error) string {
	var te *tokenError
	if errors.As(err, &te) && te.answer != "" {
		return "; the provider answered: " + te.answer
	}
	return ""
}

// maxAnswerExcerpt bounds how much of a provider's answer a log line keeps.
const maxAnswerExcerpt = 512

// secretKeyParts mark members of a provider's answer whose values are
// credentials.
var secretKeyParts = []string{"token", "secret", "password", "assertion", "verifier", "key"}

// answerExcerpt is what logs may keep of a provider's refusal: members of
// a JSON or form answer that hold credentials blanked, every secret the
// request sent blanked in the encodings it may be echoed in, and at most
// maxAnswerExcerpt bytes. Blanking happens before truncation so no
// secret's prefix survives the cut.
func answerExcerpt(raw []byte, sent []string) string {
	s := strings.TrimSpace(string(raw))
	var m any
	if err := json.Unmarshal([]byte(s), &m); err == nil {
		if b, err := json.Marshal(blankSecrets(m)); err == nil {
			s = string(b)
		}
	} else if vals, err := url.ParseQuery(s); err == nil && len(vals) > 0 && !strings.ContainsAny(s, " <{") {
		for k := range vals {
			if secretKey(k) {
				vals[k] = []string{redact.Marker}
			}
		}
		s = vals.Encode()
	}
	var forms []string
	for _, sec := range sent {
		if len(sec) < 4 {
			continue // too short to be a secret, and would blank half the text
		}
		q, _ := json.Marshal(sec)
		forms = append(forms, sec, url.QueryEscape(sec), url.PathEscape(sec), strings.Trim(string(q), `"`))
	}
	s = redact.Forms(s, forms)
	if len(s) > maxAnswerExcerpt {
		cut := maxAnswerExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, part := range secretKeyParts {
		if strings.Contains(k, part) {
			return true
		}
	}
	return false
}

func blankSecrets(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if secretKey(k) {
				if _, isString := val.(string); isString || val == nil {
					x[k] = redact.Marker
					continue
				}
				if _, nested := val.(map[string]any); !nested {
					x[k] = redact.Marker
					continue
				}
			}
			x[k] = blankSecrets(val)
		}
	case []any:
		for i := range x {
			x[i] = blankSecrets(x[i])
		}
	}
	return v
}

// authorizeTarget checks an authorization URL before a browser is sent
// there: the same rules as a request (Preflight, so a name that resolves
// to an internal address is refused too), since an open redirect to a
// host the end user chose would carry the integration's client id and
// Patchbay's state to it.
func (s *Service) authorizeTarget(ctx context.Context, filled, tmpl string, config map[string]any) (*url.URL, error) {
	u, err := s.guard.Preflight(ctx, filled, tmpl)
	if err != nil {
		if refused := s.refused(tmpl, config, fromParams, err); refused != nil {
			return nil, refused
		}
		return nil, err
	}
	return u, nil
}
