package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"

	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/vault"
)

type environments struct{ db *DB }

func (e environments) Create(ctx context.Context, env *store.Environment) error {
	if env.SecretKey == "" {
		return fmt.Errorf("create environment %q: no secret key", env.Name)
	}
	if env.WebhookSigningKey == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		env.WebhookSigningKey = hex.EncodeToString(b)
	}
	id, now := newID(), e.db.now()
	res, err := e.db.write.ExecContext(ctx, e.db.q("InsertEnvironment"),
		id, env.Name, vault.HashSecret(env.SecretKey),
		e.db.seal([]byte(env.SecretKey), "environments", "secret_key", id),
		e.db.seal([]byte(env.WebhookSigningKey), "environments", "webhook_signing_key", id),
		now, now)
	if err != nil {
		return fmt.Errorf("create environment %q: %w", env.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("create environment %q: %w", env.Name, err)
	} else if n == 0 {
		return fmt.Errorf("create environment %q: %w", env.Name, store.ErrConflict)
	}
	env.ID, env.CreatedAt, env.UpdatedAt = id, now, now
	return nil
}

func scanEnvironment(row interface{ Scan(...any) error }, extra ...any) (*store.Environment, error) {
	env := &store.Environment{}
	if err := row.Scan(append([]any{&env.ID, &env.Name, &env.CreatedAt, &env.UpdatedAt}, extra...)...); err != nil {
		return nil, notFound(err)
	}
	return env, nil
}

func (e environments) ByName(ctx context.Context, name string) (*store.Environment, error) {
	env, err := scanEnvironment(e.db.read.QueryRowContext(ctx, e.db.q("EnvironmentByName"), name))
	if err != nil {
		return nil, fmt.Errorf("environment %q: %w", name, err)
	}
	return env, nil
}

func (e environments) BySecretKey(ctx context.Context, secretKey string) (*store.Environment, error) {
	env, err := scanEnvironment(e.db.read.QueryRowContext(ctx, e.db.q("EnvironmentBySecretKeyHash"), vault.HashSecret(secretKey)))
	if err != nil {
		return nil, fmt.Errorf("environment by secret key: %w", err)
	}
	return env, nil
}

func (e environments) List(ctx context.Context) ([]*store.Environment, error) {
	rows, err := e.db.read.QueryContext(ctx, e.db.q("ListEnvironments"))
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	defer rows.Close()
	var out []*store.Environment
	for rows.Next() {
		env, err := scanEnvironment(rows)
		if err != nil {
			return nil, fmt.Errorf("list environments: %w", err)
		}
		out = append(out, env)
	}
	return out, rows.Err()
}

func (e environments) Secrets(ctx context.Context, name string) (*store.Environment, error) {
	var secretKey, signingKey []byte
	env, err := scanEnvironment(e.db.read.QueryRowContext(ctx, e.db.q("EnvironmentSecrets"), name), &secretKey, &signingKey)
	if err != nil {
		return nil, fmt.Errorf("environment %q: %w", name, err)
	}
	key, err := e.db.open(secretKey, "environments", "secret_key", env.ID)
	if err != nil {
		return nil, err
	}
	signing, err := e.db.open(signingKey, "environments", "webhook_signing_key", env.ID)
	if err != nil {
		return nil, err
	}
	env.SecretKey, env.WebhookSigningKey = string(key), string(signing)
	return env, nil
}

func (e environments) RotateSecretKey(ctx context.Context, name, newKey string) error {
	return e.db.inTx(ctx, func(tx *sql.Tx) error {
		env, err := scanEnvironment(tx.QueryRowContext(ctx, e.db.q("EnvironmentByName"), name))
		if err != nil {
			return fmt.Errorf("environment %q: %w", name, err)
		}
		_, err = tx.ExecContext(ctx, e.db.q("UpdateEnvironmentSecretKey"),
			vault.HashSecret(newKey), e.db.seal([]byte(newKey), "environments", "secret_key", env.ID), e.db.now(), env.ID)
		if err != nil {
			if e.db.d.IsUniqueViolation(err) {
				return fmt.Errorf("rotate secret key of %q: %w", name, store.ErrConflict)
			}
			return fmt.Errorf("rotate secret key of %q: %w", name, err)
		}
		return nil
	})
}
