// Package settings holds an environment's settings (the Connect UI's
// branding, the outbound webhook targets, the variables functions read)
// and the rules they must follow. Every writer goes through Service, so
// each rule is checked in one place; the Connect UI asks the same rules
// (ValidColour, LogoAllowed) before it shows what is stored.
package settings

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
)

// Bounds of the settings.
const (
	// MaxNameLength bounds the Connect UI's app name, in characters.
	MaxNameLength = 100
	// MaxVariables bounds an environment's variables: they are
	// configuration, read by every function run.
	MaxVariables = 500
	// MaxVariableValue bounds one variable's value, in bytes.
	MaxVariableValue = 64 << 10
)

// Store is where the settings are kept (store.Settings).
type Store interface {
	ConnectUI(ctx context.Context, environmentID string) (store.ConnectUISettings, error)
	SetConnectUI(ctx context.Context, environmentID string, s store.ConnectUISettings) error
	Webhooks(ctx context.Context, environmentID string) (store.WebhookSettings, error)
	SetWebhooks(ctx context.Context, environmentID string, s store.WebhookSettings) error
	Variables(ctx context.Context, environmentID string) ([]store.EnvironmentVariable, error)
	SetVariables(ctx context.Context, environmentID string, vars []store.EnvironmentVariable) error
}

// Keys is where an environment's keys are kept (store.Environments, or
// its cache): the webhook signing key is shown with the webhook targets.
type Keys interface {
	Secrets(ctx context.Context, name string) (*store.Environment, error)
}

// Service reads and writes an environment's settings; writes are checked
// first and refused with fault.Problems naming every bad member.
type Service struct {
	store     Store
	keys      Keys
	ownOrigin string
}

// New returns the settings service. serverURL is Patchbay's public base
// URL: logos on its own origin may be served over http.
func New(s Store, keys Keys, serverURL string) *Service {
	return &Service{store: s, keys: keys, ownOrigin: Origin(serverURL)}
}

// ConnectUI returns the Connect UI's branding.
func (s *Service) ConnectUI(ctx context.Context, environmentID string) (store.ConnectUISettings, error) {
	return s.store.ConnectUI(ctx, environmentID)
}

// SetConnectUI checks and stores the Connect UI's branding.
func (s *Service) SetConnectUI(ctx context.Context, environmentID string, in store.ConnectUISettings) error {
	var ps fault.Problems
	if utf8.RuneCountInString(in.Name) > MaxNameLength {
		ps = append(ps, fault.Problem{Code: "too_big", Message: fmt.Sprintf("must be at most %d characters", MaxNameLength), Path: []any{"name"}})
	}
	if in.LogoURL != "" && !LogoAllowed(in.LogoURL, s.ownOrigin) {
		ps = append(ps, fault.Problem{Code: "invalid_url", Message: "must be an https URL (http only on Patchbay's own origin)", Path: []any{"logo_url"}})
	}
	if in.PrimaryColor != "" && !ValidColour(in.PrimaryColor) {
		ps = append(ps, fault.Problem{Code: "invalid_string", Message: "must be a hex colour like #1a73e8", Path: []any{"primary_color"}})
	}
	if len(ps) > 0 {
		return ps
	}
	return s.store.SetConnectUI(ctx, environmentID, in)
}

// Webhooks returns the outbound webhook targets.
func (s *Service) Webhooks(ctx context.Context, environmentID string) (store.WebhookSettings, error) {
	return s.store.Webhooks(ctx, environmentID)
}

// KeyedWebhooks are an environment's webhook targets and the key that
// signs the deliveries to them.
type KeyedWebhooks struct {
	store.WebhookSettings
	SigningKey string
}

// WebhooksWithKey returns env's webhook targets with their signing key,
// which the holder of env's secret key is shown (GET
// /environment/webhooks).
func (s *Service) WebhooksWithKey(ctx context.Context, env *store.Environment) (KeyedWebhooks, error) {
	ws, err := s.store.Webhooks(ctx, env.ID)
	if err != nil {
		return KeyedWebhooks{}, err
	}
	secrets, err := s.keys.Secrets(ctx, env.Name)
	if err != nil {
		return KeyedWebhooks{}, err
	}
	return KeyedWebhooks{WebhookSettings: ws, SigningKey: secrets.WebhookSigningKey}, nil
}

// SetWebhooks checks and stores the outbound webhook targets.
func (s *Service) SetWebhooks(ctx context.Context, environmentID string, in store.WebhookSettings) error {
	var ps fault.Problems
	for _, f := range []struct{ name, url string }{{"webhook_url", in.URL}, {"secondary_webhook_url", in.SecondaryURL}} {
		if _, ok := parseHTTPURL(f.url); f.url != "" && !ok {
			ps = append(ps, fault.Problem{Code: "invalid_url", Message: "must be an http(s) URL", Path: []any{f.name}})
		}
	}
	if len(ps) > 0 {
		return ps
	}
	return s.store.SetWebhooks(ctx, environmentID, in)
}

// Variables returns the environment's variables.
func (s *Service) Variables(ctx context.Context, environmentID string) ([]store.EnvironmentVariable, error) {
	return s.store.Variables(ctx, environmentID)
}

var variableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,255}$`)

// SetVariables checks vars and replaces the environment's variables with
// them. Problems name the member of the request body, "variables".
func (s *Service) SetVariables(ctx context.Context, environmentID string, vars []store.EnvironmentVariable) error {
	if ps := CheckVariables(vars); len(ps) > 0 {
		return ps
	}
	return s.store.SetVariables(ctx, environmentID, vars)
}

// CheckVariables returns what is wrong with vars: too many, a bad or
// repeated name, a value too long.
func CheckVariables(vars []store.EnvironmentVariable) fault.Problems {
	path := []any{"variables"}
	if len(vars) > MaxVariables {
		return fault.Problems{{Code: "too_big", Message: fmt.Sprintf("at most %d variables", MaxVariables), Path: path}}
	}
	var ps fault.Problems
	seen := map[string]bool{}
	for i, v := range vars {
		p := []any{"variables", i}
		switch {
		case v.Name == "":
			// Decoding reported the missing name.
		case !variableName.MatchString(v.Name):
			ps = append(ps, fault.Problem{Code: "invalid_string", Message: "a name is letters, digits and '_', not starting with a digit", Path: append(p, "name")})
		case seen[v.Name]:
			ps = append(ps, fault.Problem{Code: "duplicate", Message: "names must be unique", Path: append(p, "name")})
		case len(v.Value) > MaxVariableValue:
			ps = append(ps, fault.Problem{Code: "too_big", Message: fmt.Sprintf("a value is at most %d bytes", MaxVariableValue), Path: append(p, "value")})
		}
		seen[v.Name] = true
	}
	return ps
}

var hexColour = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// ValidColour reports whether s is a colour the Connect UI accepts: #rgb
// or #rrggbb.
func ValidColour(s string) bool { return hexColour.MatchString(s) }

// LogoAllowed reports whether the Connect UI may show the logo at raw (its
// CSP allows it): https logos, and http ones only from ownOrigin
// (Patchbay itself, as Origin returns it; a local instance serves its own
// logos over http).
func LogoAllowed(raw, ownOrigin string) bool {
	u, ok := parseHTTPURL(raw)
	if !ok {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	return ownOrigin != "" && "http://"+u.Host == ownOrigin
}

// Origin is the scheme and host of rawURL ("http://localhost:3003"), or ""
// when it is not an absolute URL.
func Origin(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// parseHTTPURL parses an absolute http(s) URL with a host.
func parseHTTPURL(raw string) (*url.URL, bool) {
	if strings.ContainsFunc(raw, unicode.IsSpace) {
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, false
	}
	return u, true
}
