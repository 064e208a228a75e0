package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/patchbay/patchbay/internal/store"
)

// settings keeps each kind of environment setting as one JSON column of
// the environment's row; the variables, being secrets, as one sealed
// column.
type settings struct{ db *DB }

func (s settings) ConnectUI(ctx context.Context, environmentID string) (store.ConnectUISettings, error) {
	var out storedConnectUI
	if err := s.get(ctx, "GetConnectUISettings", "connect_ui_settings", environmentID, &out); err != nil {
		return store.ConnectUISettings{}, fmt.Errorf("connect UI settings: %w", err)
	}
	return store.ConnectUISettings{Name: out.Name, LogoURL: out.LogoURL, PrimaryColor: out.PrimaryColor, DarkMode: out.DarkMode}, nil
}

func (s settings) SetConnectUI(ctx context.Context, environmentID string, v store.ConnectUISettings) error {
	stored := storedConnectUI{Name: v.Name, LogoURL: v.LogoURL, PrimaryColor: v.PrimaryColor, DarkMode: v.DarkMode}
	if err := s.set(ctx, "SetConnectUISettings", environmentID, stored); err != nil {
		return fmt.Errorf("set connect UI settings: %w", err)
	}
	return nil
}

func (s settings) Webhooks(ctx context.Context, environmentID string) (store.WebhookSettings, error) {
	var out storedWebhooks
	if err := s.get(ctx, "GetWebhookSettings", "webhook_settings", environmentID, &out); err != nil {
		return store.WebhookSettings{}, fmt.Errorf("webhook settings: %w", err)
	}
	return store.WebhookSettings{URL: out.URL, SecondaryURL: out.SecondaryURL, SendAuthWebhooks: out.SendAuthWebhooks}, nil
}

func (s settings) SetWebhooks(ctx context.Context, environmentID string, v store.WebhookSettings) error {
	stored := storedWebhooks{URL: v.URL, SecondaryURL: v.SecondaryURL, SendAuthWebhooks: v.SendAuthWebhooks}
	if err := s.set(ctx, "SetWebhookSettings", environmentID, stored); err != nil {
		return fmt.Errorf("set webhook settings: %w", err)
	}
	return nil
}

func (s settings) Variables(ctx context.Context, environmentID string) ([]store.EnvironmentVariable, error) {
	if !isUUID(environmentID) {
		return nil, fmt.Errorf("environment variables of %s: %w", environmentID, store.ErrNotFound)
	}
	var sealed []byte
	if err := s.db.read.QueryRowContext(ctx, s.db.q("GetEnvironmentVariables"), environmentID).Scan(&sealed); err != nil {
		return nil, fmt.Errorf("environment variables of %s: %w", environmentID, notFound(err))
	}
	vars := []store.EnvironmentVariable{}
	if sealed == nil {
		return vars, nil
	}
	plain, err := s.db.open(sealed, "environments", "variables", environmentID)
	if err != nil {
		return nil, err
	}
	if vars, err = decodeVariables(plain); err != nil {
		return nil, s.db.unreadableRow("environments", environmentID, "variables", err)
	}
	return vars, nil
}

func (s settings) SetVariables(ctx context.Context, environmentID string, vars []store.EnvironmentVariable) error {
	if !isUUID(environmentID) {
		return fmt.Errorf("set environment variables of %s: %w", environmentID, store.ErrNotFound)
	}
	// No ciphertext when there is no secret, as for integrations.
	var sealed []byte
	if len(vars) > 0 {
		b, err := store.DocVariables.Encode(toStoredVariables(vars))
		if err != nil {
			return fmt.Errorf("set environment variables of %s: %w", environmentID, err)
		}
		sealed = s.db.seal(b, "environments", "variables", environmentID)
	}
	res, err := s.db.write.ExecContext(ctx, s.db.q("SetEnvironmentVariables"), sealed, s.db.now(), environmentID)
	if err != nil {
		return fmt.Errorf("set environment variables of %s: %w", environmentID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set environment variables of %s: %w", environmentID, err)
	} else if n == 0 {
		return fmt.Errorf("set environment variables of %s: %w", environmentID, store.ErrNotFound)
	}
	return nil
}

func (s settings) get(ctx context.Context, query, column, environmentID string, dst any) error {
	if !isUUID(environmentID) {
		return fmt.Errorf("environment %s: %w", environmentID, store.ErrNotFound)
	}
	var b []byte
	if err := s.db.read.QueryRowContext(ctx, s.db.q(query), environmentID).Scan(&b); err != nil {
		return fmt.Errorf("environment %s: %w", environmentID, notFound(err))
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return s.db.unreadableRow("environments", environmentID, column, err)
	}
	return nil
}

func (s settings) set(ctx context.Context, query, environmentID string, v any) error {
	if !isUUID(environmentID) {
		return fmt.Errorf("environment %s: %w", environmentID, store.ErrNotFound)
	}
	b, err := store.DocSettings.Encode(v)
	if err != nil {
		return err
	}
	res, err := s.db.write.ExecContext(ctx, s.db.q(query), string(b), s.db.now(), environmentID)
	if err != nil {
		return fmt.Errorf("environment %s: %w", environmentID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("environment %s: %w", environmentID, err)
	} else if n == 0 {
		return fmt.Errorf("environment %s: %w", environmentID, store.ErrNotFound)
	}
	return nil
}
