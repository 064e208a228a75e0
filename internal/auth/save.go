package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
)

type saveInput struct {
	environmentID    string
	integration      *store.Integration
	connectionID     string
	config           map[string]any
	creds            store.Credentials
	connectSessionID string
	endUser          *store.EndUser
	authMode         string
}

// save stores a connection after a successful authorisation and tells
// Events. A re-authorisation of an existing connection replaces its
// credentials and clears its errors.
func (s *Service) save(ctx context.Context, in saveInput) (*store.Connection, error) {
	endUser := in.endUser
	var tags map[string]string
	if in.connectSessionID != "" {
		sess, err := s.connectSessions.ByID(ctx, in.connectSessionID)
		switch {
		case err == nil:
			if endUser == nil {
				endUser = sess.EndUser
			}
			tags = sess.Tags
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	delete(in.config, "appPublicLink") // belongs to the integration, not the connection
	c := &store.Connection{
		EnvironmentID:    in.environmentID,
		IntegrationID:    in.integration.ID,
		ConnectionID:     in.connectionID,
		Credentials:      in.creds,
		ConnectionConfig: in.config,
		EndUser:          endUser,
		Tags:             tags,
	}
	created, err := s.conns.Upsert(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("save connection %q: %w", in.connectionID, err)
	}
	saved, err := s.conns.ByID(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("read saved connection %q: %w", in.connectionID, err)
	}
	s.logger.InfoContext(ctx, "connection authorised", "integration", in.integration.UniqueKey,
		"connection_id", in.connectionID, "auth_mode", in.authMode, "created", created)
	s.events.ConnectionCreated(ctx, saved, in.authMode, created)
	return saved, nil
}

// checkConnectSession refuses callbacks whose connect session was deleted
// or expired while the user was at the provider.
func (s *Service) checkConnectSession(ctx context.Context, sess *store.OAuthSession) error {
	cs, err := s.connectSessions.ByID(ctx, sess.ConnectSessionID)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(fault.Unauthenticated, "invalid_connect_session_token", "the connect session was deleted; start again from the app")
	}
	if err != nil {
		return err
	}
	if !s.now().Before(cs.ExpiresAt) {
		return errorf(fault.Unauthenticated, "expired_connect_session_token", "the connect session expired; start again from the app")
	}
	return nil
}

// ImportInput saves credentials obtained elsewhere (POST /connections),
// as they are: nothing is verified or fetched.
type ImportInput struct {
	EnvironmentID  string
	IntegrationKey string
	// ConnectionID is the id the request names, nil when it names none
	// (Patchbay makes one then); one named empty is refused.
	ConnectionID *string
	Credentials  store.Credentials
	// CredentialsConfig are members of the imported credentials that
	// belong in the connection config: APP and CUSTOM credentials may name
	// the installation (app_id, installation_id), which installation
	// tokens are minted from.
	CredentialsConfig map[string]string
	// RawCredentials is the credentials object as it was sent; modes that
	// keep it (authmode.Import.KeepRaw) store it as the raw token
	// response, as Nango does.
	RawCredentials   json.RawMessage
	ConnectionConfig map[string]any
	Metadata         map[string]any
	EndUser          *store.EndUser
	Tags             map[string]string
}

// importKeys checks the keys an import names, the integration's and the
// connection's, together (one answer lists both problems), and returns the
// connection id to import under: the one named, or a new one.
func importKeys(in ImportInput) (string, error) {
	var ps fault.Problems
	if in.IntegrationKey == "" {
		ps = append(ps, fault.Problem{Code: "too_small", Message: "must not be empty", Path: []any{"provider_config_key"}})
	}
	id := uuid.NewString()
	if in.ConnectionID != nil {
		id = *in.ConnectionID
		if p := CheckConnectionID(id, "connection_id"); p != nil {
			ps = append(ps, *p)
		}
	}
	if len(ps) > 0 {
		return "", ps
	}
	return id, nil
}

// CheckImportedCredentials returns the members of imported credentials of
// mode that were given (given reports which) but are empty, and may not
// be: a mode's required members, unless it allows them empty. path is
// where the credentials are in the request.
func CheckImportedCredentials(mode string, given func(name string) bool, c *store.Credentials, path []any) []fault.Problem {
	spec := authmode.Get(mode).Import
	if spec == nil || spec.AllowEmpty {
		return nil // Nango allows an empty username or password (some providers use only one)
	}
	var ps []fault.Problem
	for _, name := range spec.Required {
		if v := authmode.Member(c, name); v != nil && given(name) && *v == "" {
			ps = append(ps, fault.Problem{Code: "too_small", Message: "must not be empty", Path: append(slices.Clip(path), name)})
		}
	}
	return ps
}

// Import creates or replaces a connection from given credentials and
// sends the same "auth" webhook as an authorisation would.
func (s *Service) Import(ctx context.Context, in ImportInput) (*store.Connection, bool, error) {
	connectionID, err := importKeys(in)
	if err != nil {
		return nil, false, err
	}
	if in.Tags != nil {
		if in.Tags, err = NormalizeTags(in.Tags, "tags"); err != nil {
			return nil, false, err
		}
	}
	if in.EndUser != nil {
		if in.EndUser, err = NormalizeEndUser(in.EndUser, "end_user"); err != nil {
			return nil, false, err
		}
	}
	if len(in.CredentialsConfig) > 0 {
		config := make(map[string]any, len(in.ConnectionConfig)+len(in.CredentialsConfig))
		maps.Copy(config, in.ConnectionConfig)
		for k, v := range in.CredentialsConfig {
			config[k] = v
		}
		in.ConnectionConfig = config
	}
	integ, p, err := s.integration(ctx, in.EnvironmentID, in.IntegrationKey)
	if err != nil {
		return nil, false, err
	}
	want := p.AuthMode
	if in.Credentials.Type != want {
		return nil, false, &Error{Kind: fault.Invalid,
			Message: fmt.Sprintf("integration %q uses auth mode %s; credentials.type must be %s", integ.UniqueKey, want, want), Field: []string{"credentials", "type"}}
	}
	c := in.Credentials
	if imp := authmode.Get(want).Import; imp != nil && imp.KeepRaw && len(in.RawCredentials) > 0 {
		var compact bytes.Buffer
		if json.Compact(&compact, in.RawCredentials) == nil {
			c.Raw = compact.Bytes()
		}
	}
	if authmode.Get(want).Mint == authmode.MintInstallation && c.AccessToken == "" {
		if c, err = s.importInstallation(ctx, p, integ, in.ConnectionConfig, c); err != nil {
			return nil, false, err
		}
	}
	missing := ""
	if imp := authmode.Get(want).Import; imp != nil {
		for _, name := range imp.Stored {
			if *authmode.Member(&c, name) == "" {
				missing = name
				break
			}
		}
	}
	if missing != "" {
		return nil, false, &Error{Kind: fault.Invalid,
			Message: fmt.Sprintf("credentials.%s is required for auth mode %s", missing, want), Field: []string{"credentials", missing}}
	}
	// Refresh and the proxy will call the provider with this config.
	if err := s.checkConfigURLs(ctx, p, in.ConnectionConfig, fromConfig); err != nil {
		return nil, false, err
	}
	conn := &store.Connection{
		EnvironmentID: in.EnvironmentID, IntegrationID: integ.ID, ConnectionID: connectionID,
		Credentials: c, ConnectionConfig: in.ConnectionConfig, Metadata: in.Metadata, EndUser: in.EndUser, Tags: in.Tags,
	}
	if conn.ConnectionConfig == nil {
		conn.ConnectionConfig = map[string]any{}
	}
	created, err := s.conns.Upsert(ctx, conn)
	if err != nil {
		return nil, false, fmt.Errorf("import connection %q: %w", connectionID, err)
	}
	saved, err := s.conns.ByID(ctx, conn.ID)
	if err != nil {
		return nil, false, err
	}
	s.events.ConnectionCreated(ctx, saved, want, created)
	return saved, created, nil
}
