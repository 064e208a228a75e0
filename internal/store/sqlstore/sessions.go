package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

type connectSessions struct{ db *DB }

func (s connectSessions) Create(ctx context.Context, cs *store.ConnectSession) error {
	if cs.TokenHash == "" {
		return errors.New("create connect session: no token hash")
	}
	var docs [3]any
	for i, d := range []docValue{
		{store.DocEndUser, toStoredEndUser(cs.EndUser), ""},
		{store.DocConfigDefaults, cs.IntegrationsConfigDefaults, "{}"},
		{store.DocTags, cs.Tags, "{}"},
	} {
		b, err := d.encode()
		if err != nil {
			return fmt.Errorf("create connect session: %w", err)
		}
		if b != nil {
			docs[i] = string(b)
		}
	}
	endUser, defaults, tags := docs[0], docs[1], docs[2]
	allowed, err := jsonValue(cs.AllowedIntegrations, "[]")
	if err != nil {
		return fmt.Errorf("create connect session: allowed integrations: %w", err)
	}
	id, createdAt := newID(), cs.CreatedAt
	if createdAt.IsZero() {
		createdAt = s.db.now()
	}
	_, err = s.db.write.ExecContext(ctx, s.db.q("InsertConnectSession"), id, cs.EnvironmentID, cs.TokenHash,
		endUser, allowed, defaults, tags, cs.ReconnectConnectionID, cs.ReconnectIntegration, createdAt.UTC(), cs.ExpiresAt.UTC())
	if err != nil {
		if s.db.d.IsUniqueViolation(err) {
			err = store.ErrConflict
		}
		return fmt.Errorf("create connect session: %w", err)
	}
	cs.ID, cs.CreatedAt = id, createdAt
	return nil
}

func (s connectSessions) ByTokenHash(ctx context.Context, tokenHash string) (*store.ConnectSession, error) {
	cs, err := s.scan(s.db.read.QueryRowContext(ctx, s.db.q("ConnectSessionByTokenHash"), tokenHash))
	if err != nil {
		return nil, fmt.Errorf("connect session: %w", err)
	}
	return cs, nil
}

func (s connectSessions) ByID(ctx context.Context, id string) (*store.ConnectSession, error) {
	if !isUUID(id) {
		return nil, fmt.Errorf("connect session %s: %w", id, store.ErrNotFound)
	}
	cs, err := s.scan(s.db.read.QueryRowContext(ctx, s.db.q("ConnectSessionByID"), id))
	if err != nil {
		return nil, fmt.Errorf("connect session %s: %w", id, err)
	}
	return cs, nil
}

func (s connectSessions) scan(row rowScanner) (*store.ConnectSession, error) {
	cs := &store.ConnectSession{}
	var endUser, allowed, defaults, tags []byte
	if err := row.Scan(&cs.ID, &cs.EnvironmentID, &cs.TokenHash, &endUser, &allowed, &defaults, &tags,
		&cs.ReconnectConnectionID, &cs.ReconnectIntegration, &cs.CreatedAt, &cs.ExpiresAt); err != nil {
		return nil, notFound(err)
	}
	cs.CreatedAt, cs.ExpiresAt = cs.CreatedAt.UTC(), cs.ExpiresAt.UTC()
	if endUser != nil {
		var err error
		if cs.EndUser, err = decodeEndUser(endUser); err != nil {
			return nil, s.db.unreadableRow("connect_sessions", cs.ID, "end_user", err)
		}
	}
	if err := json.Unmarshal(allowed, &cs.AllowedIntegrations); err != nil {
		return nil, s.db.unreadableRow("connect_sessions", cs.ID, "allowed_integrations", err)
	}
	if len(cs.AllowedIntegrations) == 0 {
		cs.AllowedIntegrations = nil
	}
	if err := json.Unmarshal(defaults, &cs.IntegrationsConfigDefaults); err != nil {
		return nil, s.db.unreadableRow("connect_sessions", cs.ID, "integrations_config_defaults", err)
	}
	if len(cs.IntegrationsConfigDefaults) == 0 {
		cs.IntegrationsConfigDefaults = nil
	}
	if err := json.Unmarshal(tags, &cs.Tags); err != nil {
		return nil, s.db.unreadableRow("connect_sessions", cs.ID, "tags", err)
	}
	if len(cs.Tags) == 0 {
		cs.Tags = nil
	}
	return cs, nil
}

func (s connectSessions) Delete(ctx context.Context, id string) error {
	if !isUUID(id) {
		return fmt.Errorf("delete connect session %s: %w", id, store.ErrNotFound)
	}
	res, err := s.db.write.ExecContext(ctx, s.db.q("DeleteConnectSession"), id)
	if err != nil {
		return fmt.Errorf("delete connect session %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete connect session %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("delete connect session %s: %w", id, store.ErrNotFound)
	}
	return nil
}

func (s connectSessions) DeleteExpired(ctx context.Context, before time.Time) (int64, error) {
	n, err := deleteBefore(ctx, s.db, "DeleteExpiredConnectSessions", before)
	if err != nil {
		return 0, fmt.Errorf("delete expired connect sessions: %w", err)
	}
	return n, nil
}

func deleteBefore(ctx context.Context, db *DB, query string, before time.Time) (int64, error) {
	res, err := db.write.ExecContext(ctx, db.q(query), before.UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

type oauthSessions struct{ db *DB }

func (s oauthSessions) Create(ctx context.Context, sess *store.OAuthSession) error {
	if sess.ID == "" {
		return errors.New("create OAuth session: no id (state)")
	}
	config, err := docValue{store.DocConnectionConfig, sess.ConnectionConfig, "{}"}.encode()
	if err != nil {
		return fmt.Errorf("create OAuth session: %w", err)
	}
	// No ciphertext when there is no secret, as for integrations.
	var secret []byte
	if sess.Secret != "" {
		secret = s.db.seal([]byte(sess.Secret), "oauth_sessions", "secret", sess.ID)
	}
	createdAt := sess.CreatedAt
	if createdAt.IsZero() {
		createdAt = s.db.now()
	}
	_, err = s.db.write.ExecContext(ctx, s.db.q("InsertOAuthSession"), sess.ID, sess.EnvironmentID, sess.IntegrationKey,
		sess.ConnectionID, sess.ConnectSessionID, sess.WSClientID, sess.AuthMode, string(config), secret,
		nullString(sess.RequestToken), sess.RedirectURI, createdAt.UTC(), sess.ExpiresAt.UTC())
	if err != nil {
		if s.db.d.IsUniqueViolation(err) {
			err = store.ErrConflict
		}
		return fmt.Errorf("create OAuth session: %w", err)
	}
	sess.CreatedAt = createdAt
	return nil
}

// take runs one of the DELETE … RETURNING queries: the row comes back to
// exactly one caller, however many race for it.
func (s oauthSessions) take(ctx context.Context, query, arg string) (*store.OAuthSession, error) {
	sess := &store.OAuthSession{}
	var config, secret []byte
	var requestToken sql.NullString
	err := s.db.write.QueryRowContext(ctx, s.db.q(query), arg).Scan(&sess.ID, &sess.EnvironmentID, &sess.IntegrationKey,
		&sess.ConnectionID, &sess.ConnectSessionID, &sess.WSClientID, &sess.AuthMode, &config, &secret,
		&requestToken, &sess.RedirectURI, &sess.CreatedAt, &sess.ExpiresAt)
	if err != nil {
		return nil, notFound(err)
	}
	sess.RequestToken = requestToken.String
	sess.CreatedAt, sess.ExpiresAt = sess.CreatedAt.UTC(), sess.ExpiresAt.UTC()
	if err := json.Unmarshal(config, &sess.ConnectionConfig); err != nil {
		return nil, s.db.unreadableRow("oauth_sessions", sess.ID, "connection_config", err)
	}
	if secret != nil {
		plain, err := s.db.open(secret, "oauth_sessions", "secret", sess.ID)
		if err != nil {
			return nil, err
		}
		sess.Secret = string(plain)
	}
	return sess, nil
}

func (s oauthSessions) Take(ctx context.Context, id string) (*store.OAuthSession, error) {
	sess, err := s.take(ctx, "TakeOAuthSession", id)
	if err != nil {
		return nil, fmt.Errorf("take OAuth session: %w", err)
	}
	return sess, nil
}

func (s oauthSessions) TakeByRequestToken(ctx context.Context, requestToken string) (*store.OAuthSession, error) {
	if requestToken == "" {
		return nil, fmt.Errorf("take OAuth session by request token: %w", store.ErrNotFound)
	}
	sess, err := s.take(ctx, "TakeOAuthSessionByRequestToken", requestToken)
	if err != nil {
		return nil, fmt.Errorf("take OAuth session by request token: %w", err)
	}
	return sess, nil
}

func (s oauthSessions) DeleteExpired(ctx context.Context, before time.Time) (int64, error) {
	n, err := deleteBefore(ctx, s.db, "DeleteExpiredOAuthSessions", before)
	if err != nil {
		return 0, fmt.Errorf("delete expired OAuth sessions: %w", err)
	}
	return n, nil
}
