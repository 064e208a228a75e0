package connect

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/auth"
	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
)

// TokenPrefix starts every connect session token, as in Nango.
const TokenPrefix = "nango_connect_session_"

// SessionTTL is how long a connect session lasts.
const SessionTTL = 30 * time.Minute

// Error is a connect-session failure: what went wrong and Nango's code for
// it; internal/api chooses the HTTP status from Kind.
type Error struct {
	Kind    fault.Kind
	Code    string
	Message string
	// Field is the path of the request member at fault: strings for
	// object members, ints for array indexes.
	Field []any
	// Err is the underlying cause, for logs.
	Err error
}

// Error is the code and message, then the cause unless the message
// already quotes it.
func (e *Error) Error() string { return fault.Describe(e.Code, e.Message, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// FaultKind reports Kind to fault.KindOf.
func (e *Error) FaultKind() fault.Kind { return e.Kind }

// Fault is what the caller is told, for internal/api.
func (e *Error) Fault() fault.Detail {
	return fault.Detail{Kind: e.Kind, Code: e.Code, Message: e.Message, Field: e.Field}
}

// Stores are the views of the store Sessions use, each declared here as
// the calls made of it. Integrations and Connections are the caches in
// production (internal/store/cache), so Sessions sees what the rest of
// the node sees.
type Stores struct {
	Integrations interface {
		Get(ctx context.Context, environmentID, uniqueKey string) (*store.Integration, error)
		List(ctx context.Context, environmentID string) ([]*store.Integration, error)
	}
	Connections interface {
		Get(ctx context.Context, environmentID, integrationKey, connectionID string) (*store.Connection, error)
	}
	ConnectSessions interface {
		Create(ctx context.Context, s *store.ConnectSession) error
		ByTokenHash(ctx context.Context, tokenHash string) (*store.ConnectSession, error)
		Delete(ctx context.Context, id string) error
	}
	Settings interface {
		ConnectUI(ctx context.Context, environmentID string) (store.ConnectUISettings, error)
	}
}

// Sessions creates and checks connect sessions.
type Sessions struct {
	store     Stores
	catalog   *catalog.Catalog
	serverURL string
	now       func() time.Time
}

// NewSessions returns the connect-session service. serverURL is the public
// base URL connect links point at.
func NewSessions(s Stores, c *catalog.Catalog, serverURL string, now func() time.Time) *Sessions {
	if now == nil {
		now = time.Now
	}
	return &Sessions{store: s, catalog: c, serverURL: serverURL, now: now}
}

// CreateInput is the body of POST /connect/sessions (and, with Reconnect
// set, of /connect/sessions/reconnect).
type CreateInput struct {
	EndUser *store.EndUser
	// Organization is the end user's organization, given beside it.
	Organization               *store.Organization
	AllowedIntegrations        []string
	IntegrationsConfigDefaults map[string]json.RawMessage
	// Tags are given to the connections the session creates.
	Tags map[string]string
	// Reconnect asks for a reconnect session: ReconnectConnectionID and
	// ReconnectIntegration name the one connection it may re-authorise,
	// and both are required.
	Reconnect             bool
	ReconnectConnectionID string
	ReconnectIntegration  string
}

// Created is a new session: its token (shown once), the link that opens
// the Connect UI with it, and when it expires.
type Created struct {
	Token       string
	ConnectLink string
	ExpiresAt   time.Time
}

// Create starts a session. Allowed integrations must exist; a reconnect
// session's connection must be named and exist.
func (s *Sessions) Create(ctx context.Context, env *store.Environment, in CreateInput) (*Created, error) {
	if in.Reconnect {
		var empty fault.Problems
		for _, f := range []struct{ name, value string }{{"connection_id", in.ReconnectConnectionID}, {"integration_id", in.ReconnectIntegration}} {
			if f.value == "" {
				empty = append(empty, fault.Problem{Code: "too_small", Message: "must not be empty", Path: []any{f.name}})
			}
		}
		if len(empty) > 0 {
			return nil, empty
		}
	}
	// The session's end user becomes its connections' end user: the same
	// rules as for imported connections (POST /connections) apply.
	if in.EndUser != nil {
		u, err := auth.NormalizeEndUser(in.EndUser, "end_user")
		if err != nil {
			return nil, err
		}
		in.EndUser = u
	}
	if in.Organization != nil {
		if in.EndUser == nil {
			return nil, fault.Problems{{Code: "required", Message: "organization needs an end_user", Path: []any{"end_user"}}}
		}
		in.EndUser.Organization = in.Organization
	}
	if len(in.Tags) > 0 {
		// Nango's session tags become the tags of the connections the
		// session creates.
		normalized, err := auth.NormalizeTags(in.Tags, "tags")
		if err != nil {
			return nil, err
		}
		in.Tags = normalized
	} else {
		in.Tags = nil
	}
	for i, key := range in.AllowedIntegrations {
		if _, err := s.store.Integrations.Get(ctx, env.ID, key); errors.Is(err, store.ErrNotFound) {
			return nil, &Error{Kind: fault.Invalid,
				Message: fmt.Sprintf("integration %q does not exist", key), Field: []any{"allowed_integrations", i}}
		} else if err != nil {
			return nil, err
		}
	}
	for key := range in.IntegrationsConfigDefaults {
		if _, err := s.store.Integrations.Get(ctx, env.ID, key); errors.Is(err, store.ErrNotFound) {
			return nil, &Error{Kind: fault.Invalid,
				Message: fmt.Sprintf("integration %q does not exist", key), Field: []any{"integrations_config_defaults", key}}
		} else if err != nil {
			return nil, err
		}
	}
	if in.ReconnectConnectionID != "" {
		c, err := s.store.Connections.Get(ctx, env.ID, in.ReconnectIntegration, in.ReconnectConnectionID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, &Error{Kind: fault.Invalid, Code: "unknown_connection",
				Message: fmt.Sprintf("connection %q of integration %q does not exist", in.ReconnectConnectionID, in.ReconnectIntegration), Field: []any{"connection_id"}}
		}
		if err != nil {
			return nil, err
		}
		if in.EndUser == nil {
			in.EndUser = c.EndUser
		}
		in.AllowedIntegrations = []string{in.ReconnectIntegration}
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // never fails since Go 1.24
	token := TokenPrefix + hex.EncodeToString(raw)
	now := s.now().UTC()
	sess := &store.ConnectSession{
		EnvironmentID:              env.ID,
		TokenHash:                  HashToken(token),
		EndUser:                    in.EndUser,
		AllowedIntegrations:        in.AllowedIntegrations,
		IntegrationsConfigDefaults: in.IntegrationsConfigDefaults,
		Tags:                       in.Tags,
		ReconnectConnectionID:      in.ReconnectConnectionID,
		ReconnectIntegration:       in.ReconnectIntegration,
		CreatedAt:                  now,
		ExpiresAt:                  now.Add(SessionTTL).Truncate(time.Second),
	}
	if err := s.store.ConnectSessions.Create(ctx, sess); err != nil {
		return nil, fmt.Errorf("create connect session: %w", err)
	}
	return &Created{Token: token, ConnectLink: s.serverURL + "/connect?session_token=" + token, ExpiresAt: sess.ExpiresAt}, nil
}

// HashToken is how tokens are stored: only their SHA-256.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticate finds the live session of a token; ErrInvalidSession or
// ErrExpiredSession otherwise.
func (s *Sessions) Authenticate(ctx context.Context, token string) (*store.ConnectSession, error) {
	sess, err := s.lookup(ctx, token)
	if err != nil {
		return nil, err
	}
	if !s.now().Before(sess.ExpiresAt) {
		return nil, ErrExpiredSession
	}
	return sess, nil
}

// lookup finds a session whether or not it expired.
func (s *Sessions) lookup(ctx context.Context, token string) (*store.ConnectSession, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return nil, ErrInvalidSession
	}
	sess, err := s.store.ConnectSessions.ByTokenHash(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInvalidSession
	}
	return sess, err
}

// Delete ends a session at once.
func (s *Sessions) Delete(ctx context.Context, sess *store.ConnectSession) error {
	return s.store.ConnectSessions.Delete(ctx, sess.ID)
}

// Allowed checks that a session may authorise integrationKey, and for a
// reconnect session returns the connection id it is bound to.
func Allowed(sess *store.ConnectSession, integrationKey string) error {
	if len(sess.AllowedIntegrations) > 0 && !slices.Contains(sess.AllowedIntegrations, integrationKey) {
		return &Error{Kind: fault.Forbidden, Code: "integration_not_allowed",
			Message: fmt.Sprintf("this connect session does not allow integration %q", integrationKey)}
	}
	return nil
}

// Defaults are a session's integrations_config_defaults for one
// integration.
type Defaults struct {
	ConnectionConfig    map[string]any    `json:"connection_config"`
	UserScopes          string            `json:"user_scopes"`
	AuthorizationParams map[string]string `json:"authorization_params"`
}

// DefaultsFor decodes the session's defaults of one integration.
func DefaultsFor(sess *store.ConnectSession, integrationKey string) Defaults {
	var d Defaults
	if raw, ok := sess.IntegrationsConfigDefaults[integrationKey]; ok {
		_ = json.Unmarshal(raw, &d) // validated when the session was created
	}
	return d
}

// ConnectionFor returns the connection id a flow of this session saves
// to: the reconnect target, or a new id.
func ConnectionFor(sess *store.ConnectSession, integrationKey string) (string, error) {
	if sess.ReconnectConnectionID == "" {
		return "", nil
	}
	if integrationKey != sess.ReconnectIntegration {
		return "", &Error{Kind: fault.Forbidden, Code: "integration_not_allowed",
			Message: fmt.Sprintf("this reconnect session is for integration %q", sess.ReconnectIntegration)}
	}
	return sess.ReconnectConnectionID, nil
}

// Page builds what the Connect UI shows for a session token.
func (s *Sessions) Page(ctx context.Context, token string) (*PageData, error) {
	sess, err := s.lookup(ctx, token)
	if err != nil {
		return nil, err
	}
	settings, err := s.store.Settings.ConnectUI(ctx, sess.EnvironmentID)
	if err != nil {
		return nil, fmt.Errorf("connect UI settings: %w", err)
	}
	if !s.now().Before(sess.ExpiresAt) {
		// Branded even when expired: "go back to <the customer's app>".
		return &PageData{APIURL: s.serverURL, Settings: settings}, ErrExpiredSession
	}
	all, err := s.store.Integrations.List(ctx, sess.EnvironmentID)
	if err != nil {
		return nil, err
	}
	page := &PageData{SessionToken: token, APIURL: s.serverURL, Settings: settings}
	for _, in := range all {
		if Allowed(sess, in.UniqueKey) != nil {
			continue
		}
		p, ok := s.catalog.Lookup(in.Provider)
		if !ok || !p.Supported() {
			continue
		}
		page.Integrations = append(page.Integrations, pageIntegration(in, p, DefaultsFor(sess, in.UniqueKey), s.serverURL))
	}
	slices.SortFunc(page.Integrations, func(a, b PageIntegration) int {
		return strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName))
	})
	if sess.ReconnectConnectionID != "" {
		page.Reconnect = &PageReconnect{IntegrationKey: sess.ReconnectIntegration, ConnectionID: sess.ReconnectConnectionID}
	}
	return page, nil
}

func pageIntegration(in *store.Integration, p *catalog.Provider, d Defaults, serverURL string) PageIntegration {
	name := in.DisplayName
	if name == "" {
		name = p.DisplayName
	}
	pi := PageIntegration{
		Key: in.UniqueKey, Provider: p.Name, DisplayName: name, AuthMode: p.AuthMode, DocsURL: p.DocsConnect,
		LogoURL: serverURL + "/images/template-logos/" + p.Name + ".svg",
	}
	if pi.DocsURL == "" {
		pi.DocsURL = p.Docs
	}
	if form := authmode.Get(p.AuthMode).Form; form != nil {
		for _, f := range form.Fields {
			pi.CredentialFields = append(pi.CredentialFields, credentialField(p, f.Name, PageField{Title: f.Title, Secret: f.Secret}))
		}
		if form.CatalogFields {
			for _, name := range sortedFields(p.Credentials) {
				pi.CredentialFields = append(pi.CredentialFields, credentialField(p, name, PageField{Title: name}))
			}
		}
	}
	for _, name := range sortedFields(p.ConnectionConfig) {
		f := p.ConnectionConfig[name]
		if f.Automated || f.Hidden {
			continue
		}
		if _, preset := d.ConnectionConfig[name]; preset {
			continue
		}
		pi.ConfigFields = append(pi.ConfigFields, field(name, f))
	}
	return pi
}

// credentialField describes a credential input from the catalog when it
// documents one, else from the mode's defaults.
func credentialField(p *catalog.Provider, name string, fallback PageField) PageField {
	if f, ok := p.Credentials[name]; ok {
		pf := field(name, f)
		pf.Secret = pf.Secret || fallback.Secret
		if pf.Title == "" {
			pf.Title = fallback.Title
		}
		return pf
	}
	fallback.Name = name
	return fallback
}

func field(name string, f catalog.ConfigField) PageField {
	return PageField{Name: name, Title: f.Title, Description: f.Description, Example: f.Example, Pattern: f.Pattern,
		Format: f.Format, Prefix: f.Prefix, Suffix: f.Suffix, Secret: f.Secret, Optional: f.Optional}
}

// sortedFields orders fields by the catalog's order, then name.
func sortedFields(m map[string]catalog.ConfigField) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int {
		if m[a].Order != m[b].Order {
			return int(m[a].Order - m[b].Order)
		}
		return strings.Compare(a, b)
	})
	return names
}
