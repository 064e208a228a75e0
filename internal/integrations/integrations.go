// Package integrations manages integrations: a catalog provider configured
// with the customer's own app credentials. It owns the rules (which
// credentials each auth mode takes, what a valid key looks like) so that the
// HTTP layer only translates and the store only persists.
package integrations

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
)

// Problem is one invalid input field, addressed by its JSON path: member
// names as strings, array indexes as ints. Codes: "required", "invalid",
// "unknown_provider", "unsupported", "not_allowed", "too_long".
type Problem = fault.Problem

// ValidationError reports every problem found in an input.
type ValidationError struct{ Problems []Problem }

// FaultKind reports Invalid to fault.KindOf.
func (e *ValidationError) FaultKind() fault.Kind { return fault.Invalid }

// FieldProblems are the problems, for internal/api.
func (e *ValidationError) FieldProblems() fault.Problems { return e.Problems }

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		segs := make([]string, len(p.Path))
		for j, seg := range p.Path {
			segs[j] = fmt.Sprint(seg)
		}
		msgs[i] = strings.Join(segs, ".") + ": " + p.Message
	}
	return "invalid integration: " + strings.Join(msgs, "; ")
}

// Store keeps integrations: the cache (internal/store/cache) in
// production, so every node sees a change at once.
type Store interface {
	Create(ctx context.Context, in *store.Integration) error
	Get(ctx context.Context, environmentID, uniqueKey string) (*store.Integration, error)
	List(ctx context.Context, environmentID string) ([]*store.Integration, error)
	Update(ctx context.Context, environmentID, uniqueKey string, change func(*store.Integration) error) (*store.Integration, error)
	Delete(ctx context.Context, environmentID, uniqueKey string) error
}

// Service is the integrations domain.
type Service struct {
	store   Store
	catalog *catalog.Catalog
}

// New returns a Service over s, checking providers against c.
func New(s Store, c *catalog.Catalog) *Service {
	return &Service{store: s, catalog: c}
}

// CreateInput is a new integration. Credentials is nil when the provider
// needs none (API key, basic, …); Settings is nil for none.
type CreateInput struct {
	UniqueKey   string
	Provider    string
	DisplayName string
	Credentials *store.IntegrationCredentials
	Settings    *SettingsInput
}

// UpdateInput changes an integration; nil fields stay as they are, and
// Credentials or Settings, when set, replace the stored ones whole.
type UpdateInput struct {
	UniqueKey   *string
	DisplayName *string
	Credentials *store.IntegrationCredentials
	Settings    *SettingsInput
}

// SettingsInput is an integration's overrides of the catalog, as the API
// carries them.
type SettingsInput struct {
	// RateLimit replaces the catalog's rate limit; nil keeps the catalog's.
	RateLimit *RateLimitInput
	// AllowedBaseURLs are absolute http(s) URLs a proxy request may name
	// in Base-Url-Override.
	AllowedBaseURLs []string
	// Functions replaces the node's function limits; nil keeps them.
	Functions *FunctionLimitsInput
}

// FunctionLimitsInput are function limits as the API carries them: memory
// in MiB, the action timeout as a Go duration ("30s"); zero or empty keeps
// the node's value.
type FunctionLimitsInput struct {
	MemoryMiB             int
	ActionTimeout         string
	SyncTimeout           string
	ConnectionConcurrency int
	// RecordsRetentionDays purges records no sync run has saved or
	// deleted for that many days; 0 keeps them all.
	RecordsRetentionDays int
	// ActionOutputValidation is "warn" (the default when empty) or
	// "enforce".
	ActionOutputValidation string
}

// RateLimitInput is a rate limit as the API carries it. Burst is nil for
// the default; Interval is a Go duration ("1s", "10s", "1h").
type RateLimitInput struct {
	Requests int
	Interval string
	Burst    *int
}

// Create validates in and stores it; store.ErrConflict if the key is taken.
func (s *Service) Create(ctx context.Context, environmentID string, in CreateInput) (*store.Integration, error) {
	var v validator
	v.uniqueKey(in.UniqueKey)
	v.displayName(in.DisplayName)
	provider := v.provider(s.catalog, in.Provider)
	if provider != nil {
		v.credentials(provider, in.Credentials)
	}
	settings := v.settings(in.Settings)
	if err := v.err(); err != nil {
		return nil, err
	}
	row := &store.Integration{
		EnvironmentID: environmentID,
		UniqueKey:     in.UniqueKey,
		Provider:      provider.Name,
		DisplayName:   cmpOr(in.DisplayName, provider.DisplayName),
		Settings:      settings,
	}
	if in.Credentials != nil {
		row.Credentials = *in.Credentials
	}
	if err := s.store.Create(ctx, row); err != nil {
		return nil, err
	}
	return row, nil
}

// Update validates the change and applies it in one transaction.
func (s *Service) Update(ctx context.Context, environmentID, uniqueKey string, in UpdateInput) (*store.Integration, error) {
	var v validator
	if in.UniqueKey != nil {
		v.uniqueKey(*in.UniqueKey)
	}
	if in.DisplayName != nil {
		v.displayName(*in.DisplayName)
	}
	settings := v.settings(in.Settings)
	if err := v.err(); err != nil {
		return nil, err
	}
	return s.store.Update(ctx, environmentID, uniqueKey, func(row *store.Integration) error {
		if in.Credentials != nil {
			// The catalog can lose an entry when PATCHBAY_PROVIDERS_FILE
			// changes between starts; that is the caller's to fix, not a 500.
			if provider, ok := s.catalog.Lookup(row.Provider); ok {
				v.credentials(provider, in.Credentials)
			} else {
				v.add("unknown_provider", fmt.Sprintf("this integration's provider %q is no longer in the catalog", row.Provider), "credentials")
			}
			if err := v.err(); err != nil {
				return err
			}
			row.Credentials = *in.Credentials
		}
		if in.UniqueKey != nil {
			row.UniqueKey = *in.UniqueKey
		}
		if in.DisplayName != nil {
			row.DisplayName = cmpOr(*in.DisplayName, row.DisplayName)
		}
		if in.Settings != nil {
			row.Settings = settings
		}
		return nil
	})
}

// Get returns one integration; store.ErrNotFound if there is none.
func (s *Service) Get(ctx context.Context, environmentID, uniqueKey string) (*store.Integration, error) {
	return s.store.Get(ctx, environmentID, uniqueKey)
}

// List returns the environment's integrations by unique key.
func (s *Service) List(ctx context.Context, environmentID string) ([]*store.Integration, error) {
	return s.store.List(ctx, environmentID)
}

// Delete removes an integration and everything that belongs to it.
func (s *Service) Delete(ctx context.Context, environmentID, uniqueKey string) error {
	return s.store.Delete(ctx, environmentID, uniqueKey)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// uniqueKeyPattern keeps keys usable unescaped in URL paths and headers.
var uniqueKeyPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~:@-]*$`)

const maxLen = 255

type validator struct{ problems []Problem }

func (v *validator) add(code, msg string, path ...any) {
	v.problems = append(v.problems, Problem{Path: path, Code: code, Message: msg})
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

func (v *validator) uniqueKey(key string) {
	switch {
	case key == "":
		v.add("required", "is required", "unique_key")
	case len(key) > maxLen:
		v.add("too_long", fmt.Sprintf("must be at most %d characters", maxLen), "unique_key")
	case !uniqueKeyPattern.MatchString(key):
		v.add("invalid", "must start with a letter or digit and contain only letters, digits and . _ ~ : @ -", "unique_key")
	}
}

func (v *validator) displayName(name string) {
	if len(name) > maxLen {
		v.add("too_long", fmt.Sprintf("must be at most %d characters", maxLen), "display_name")
	}
}

func (v *validator) provider(c *catalog.Catalog, name string) *catalog.Provider {
	if name == "" {
		v.add("required", "is required", "provider")
		return nil
	}
	p, ok := c.Lookup(name)
	if !ok {
		v.add("unknown_provider", fmt.Sprintf("unknown provider %q; GET /providers lists them", name), "provider")
		return nil
	}
	if !p.Supported() {
		v.add("unsupported", fmt.Sprintf("provider %q cannot be used yet: %s", name, p.Unsupported), "provider")
		return nil
	}
	return p
}

func credentialValues(c *store.IntegrationCredentials) map[string]string {
	return map[string]string{
		"client_id": c.ClientID, "client_secret": c.ClientSecret, "scopes": c.Scopes,
		"webhook_secret": c.WebhookSecret, "app_id": c.AppID, "app_link": c.AppLink, "private_key": c.PrivateKey,
	}
}

func (v *validator) credentials(p *catalog.Provider, c *store.IntegrationCredentials) {
	if c == nil {
		return
	}
	// The mode says which fields it takes; anything else is refused so a
	// typo never goes unseen.
	fields := authmode.Get(p.AuthMode).Integration
	known := fields != nil
	switch {
	case c.Type == "":
		v.add("required", "is required", "credentials", "type")
		return
	case !known:
		v.add("not_allowed", fmt.Sprintf("provider %q uses %s auth, which takes no integration credentials", p.Name, p.AuthMode), "credentials")
		return
	case c.Type != p.AuthMode:
		v.add("invalid", fmt.Sprintf("provider %q uses %s auth, so the credentials type must be %s", p.Name, p.AuthMode, p.AuthMode), "credentials", "type")
		return
	}
	values := credentialValues(c)
	for _, name := range fields.Required {
		if strings.TrimSpace(values[name]) == "" {
			v.add("required", "is required for "+c.Type+" credentials", "credentials", name)
		}
		delete(values, name)
	}
	for _, name := range fields.Optional {
		delete(values, name)
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if values[name] != "" {
			v.add("not_allowed", "is not used by "+c.Type+" credentials", "credentials", name)
		}
	}
	if c.AppLink != "" {
		if u, err := url.Parse(c.AppLink); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.add("invalid", "must be an absolute http(s) URL, e.g. https://github.com/apps/my-app", "credentials", "app_link")
		}
	}
	if c.PrivateKey != "" {
		if err := checkRSAPrivateKey(c.PrivateKey); err != nil {
			v.add("invalid", err.Error(), "credentials", "private_key")
		}
	}
}

// checkRSAPrivateKey accepts PKCS#1 ("RSA PRIVATE KEY", what GitHub hands
// out) and PKCS#8 ("PRIVATE KEY") PEM holding an RSA key. Its errors never
// quote the key.
func checkRSAPrivateKey(s string) error {
	block, rest := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return errors.New("must be a PEM-encoded RSA private key (-----BEGIN RSA PRIVATE KEY-----)")
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return errors.New("must hold exactly one PEM block")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return errors.New("is not a valid PKCS#1 RSA private key")
		}
	case "PRIVATE KEY":
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return errors.New("is not a valid PKCS#8 private key")
		}
		if _, ok := key.(*rsa.PrivateKey); !ok {
			return errors.New("must be an RSA key (GitHub App keys are RSA)")
		}
	default:
		return fmt.Errorf("PEM block is %q, want RSA PRIVATE KEY or PRIVATE KEY", block.Type)
	}
	return nil
}
