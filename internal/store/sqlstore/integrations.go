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

type integrations struct{ db *DB }

// integrationSecrets is the sealed part of an integration's credentials.
type integrationSecrets struct {
	ClientSecret  string `json:"client_secret,omitempty"`
	WebhookSecret string `json:"webhook_secret,omitempty"`
	PrivateKey    string `json:"private_key,omitempty"`
}

// sealSecrets returns nil when there is nothing secret, so rows without
// credentials hold no ciphertext at all.
func (s integrations) sealSecrets(in *store.Integration) ([]byte, error) {
	sec := integrationSecrets{in.Credentials.ClientSecret, in.Credentials.WebhookSecret, in.Credentials.PrivateKey}
	if sec == (integrationSecrets{}) {
		return nil, nil
	}
	b, err := json.Marshal(sec)
	if err != nil {
		return nil, err
	}
	return s.db.seal(b, "integrations", "secrets", in.ID), nil
}

// args returns the mutable columns in the order both Insert and Update use.
func (s integrations) args(in *store.Integration) ([]any, error) {
	sealed, err := s.sealSecrets(in)
	if err != nil {
		return nil, err
	}
	settings, err := encodeSettings(in.Settings)
	if err != nil {
		return nil, err
	}
	c := in.Credentials
	return []any{in.UniqueKey, in.Provider, in.DisplayName, c.Type, c.ClientID, c.Scopes, c.AppID, c.AppLink, sealed, settings}, nil
}

// settingsJSON is the settings column: intervals as Go durations ("10s")
// so the row reads the way the API and the catalog write them.
type settingsJSON struct {
	RateLimit       *rateLimitJSON      `json:"rate_limit,omitempty"`
	AllowedBaseURLs []string            `json:"allowed_base_urls,omitempty"`
	Functions       *functionLimitsJSON `json:"functions,omitempty"`
}

type rateLimitJSON struct {
	Requests int    `json:"requests"`
	Interval string `json:"interval"`
	Burst    int    `json:"burst,omitempty"`
}

type functionLimitsJSON struct {
	MemoryBytes           int64  `json:"memory_bytes,omitempty"`
	ActionTimeout         string `json:"action_timeout,omitempty"`
	SyncTimeout           string `json:"sync_timeout,omitempty"`
	ConnectionConcurrency int    `json:"connection_concurrency,omitempty"`
	RecordsRetentionDays  int    `json:"records_retention_days,omitempty"`
	EnforceActionOutput   bool   `json:"enforce_action_output,omitempty"`
}

func encodeSettings(v store.IntegrationSettings) (string, error) {
	out := settingsJSON{AllowedBaseURLs: v.AllowedBaseURLs}
	if r := v.RateLimit; r != nil {
		out.RateLimit = &rateLimitJSON{Requests: r.Requests, Interval: r.Interval.String(), Burst: r.Burst}
	}
	if f := v.Functions; f != nil {
		out.Functions = &functionLimitsJSON{MemoryBytes: f.Memory, ConnectionConcurrency: f.ConnectionConcurrency,
			RecordsRetentionDays: int(f.RecordsRetention / (24 * time.Hour)), EnforceActionOutput: f.EnforceActionOutput}
		if f.ActionTimeout > 0 {
			out.Functions.ActionTimeout = f.ActionTimeout.String()
		}
		if f.SyncTimeout > 0 {
			out.Functions.SyncTimeout = f.SyncTimeout.String()
		}
	}
	b, err := store.DocSettings.Encode(out)
	return string(b), err
}

func decodeSettings(b []byte) (store.IntegrationSettings, error) {
	var in settingsJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return store.IntegrationSettings{}, err
	}
	out := store.IntegrationSettings{AllowedBaseURLs: in.AllowedBaseURLs}
	if r := in.RateLimit; r != nil {
		interval, err := time.ParseDuration(r.Interval)
		if err != nil {
			return store.IntegrationSettings{}, fmt.Errorf("rate_limit.interval: %w", err)
		}
		out.RateLimit = &store.RateLimitOverride{Requests: r.Requests, Interval: interval, Burst: r.Burst}
	}
	if f := in.Functions; f != nil {
		out.Functions = &store.FunctionLimits{Memory: f.MemoryBytes, ConnectionConcurrency: f.ConnectionConcurrency,
			RecordsRetention: time.Duration(f.RecordsRetentionDays) * 24 * time.Hour, EnforceActionOutput: f.EnforceActionOutput}
		if f.ActionTimeout != "" {
			d, err := time.ParseDuration(f.ActionTimeout)
			if err != nil {
				return store.IntegrationSettings{}, fmt.Errorf("functions.action_timeout: %w", err)
			}
			out.Functions.ActionTimeout = d
		}
		if f.SyncTimeout != "" {
			d, err := time.ParseDuration(f.SyncTimeout)
			if err != nil {
				return store.IntegrationSettings{}, fmt.Errorf("functions.sync_timeout: %w", err)
			}
			out.Functions.SyncTimeout = d
		}
	}
	return out, nil
}

func (s integrations) Create(ctx context.Context, in *store.Integration) error {
	in.ID = newID()
	in.CreatedAt = s.db.now()
	in.UpdatedAt = in.CreatedAt
	cols, err := s.args(in)
	if err != nil {
		return fmt.Errorf("create integration %q: %w", in.UniqueKey, err)
	}
	args := append([]any{in.ID, in.EnvironmentID}, cols...)
	args = append(args, in.CreatedAt, in.UpdatedAt)
	if _, err := s.db.write.ExecContext(ctx, s.db.q("InsertIntegration"), args...); err != nil {
		if s.db.d.IsUniqueViolation(err) {
			err = store.ErrConflict
		}
		return fmt.Errorf("create integration %q: %w", in.UniqueKey, err)
	}
	return nil
}

func (s integrations) scan(row interface{ Scan(...any) error }) (*store.Integration, error) {
	in := &store.Integration{}
	c := &in.Credentials
	var sealed, settings []byte
	if err := row.Scan(&in.ID, &in.EnvironmentID, &in.UniqueKey, &in.Provider, &in.DisplayName, &c.Type,
		&c.ClientID, &c.Scopes, &c.AppID, &c.AppLink, &sealed, &settings, &in.CreatedAt, &in.UpdatedAt); err != nil {
		return nil, notFound(err)
	}
	var err error
	if in.Settings, err = decodeSettings(settings); err != nil {
		return in, s.db.unreadableRow("integrations", in.ID, "settings", err)
	}
	if sealed != nil {
		plain, err := s.db.open(sealed, "integrations", "secrets", in.ID)
		if err != nil {
			return in, s.db.unreadableRow("integrations", in.ID, "secrets", err)
		}
		var sec integrationSecrets
		if err := json.Unmarshal(plain, &sec); err != nil {
			return in, s.db.unreadableRow("integrations", in.ID, "secrets", err)
		}
		c.ClientSecret, c.WebhookSecret, c.PrivateKey = sec.ClientSecret, sec.WebhookSecret, sec.PrivateKey
	}
	return in, nil
}

func (s integrations) Get(ctx context.Context, environmentID, uniqueKey string) (*store.Integration, error) {
	in, err := s.scan(s.db.read.QueryRowContext(ctx, s.db.q("GetIntegration"), environmentID, uniqueKey))
	if err != nil {
		return nil, fmt.Errorf("integration %q: %w", uniqueKey, err)
	}
	return in, nil
}

func (s integrations) List(ctx context.Context, environmentID string) ([]*store.Integration, error) {
	rows, err := s.db.read.QueryContext(ctx, s.db.q("ListIntegrations"), environmentID)
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	defer rows.Close()
	out := []*store.Integration{}
	for rows.Next() {
		in, err := s.scan(rows)
		var unreadable *store.UnreadableError
		if errors.As(err, &unreadable) {
			s.db.skipped(ctx, "integrations", unreadable, "integration", in.UniqueKey)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list integrations: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

func (s integrations) Update(ctx context.Context, environmentID, uniqueKey string, change func(*store.Integration) error) (*store.Integration, error) {
	var out *store.Integration
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		in, err := s.scan(tx.QueryRowContext(ctx, s.db.q("GetIntegration"), environmentID, uniqueKey))
		if err != nil {
			return err
		}
		if err := change(in); err != nil {
			return err
		}
		in.UpdatedAt = s.db.now()
		args, err := s.args(in)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.db.q("UpdateIntegration"), append(args, in.UpdatedAt, in.ID)...); err != nil {
			if s.db.d.IsUniqueViolation(err) {
				return store.ErrConflict
			}
			return err
		}
		out = in
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update integration %q: %w", uniqueKey, err)
	}
	return out, nil
}

func (s integrations) Delete(ctx context.Context, environmentID, uniqueKey string) error {
	res, err := s.db.write.ExecContext(ctx, s.db.q("DeleteIntegration"), environmentID, uniqueKey)
	if err != nil {
		return fmt.Errorf("delete integration %q: %w", uniqueKey, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete integration %q: %w", uniqueKey, err)
	} else if n == 0 {
		return fmt.Errorf("delete integration %q: %w", uniqueKey, store.ErrNotFound)
	}
	return nil
}
