package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgNotifier is the store.Notifier of PostgreSQL: NOTIFY through the pool,
// LISTEN on a connection held for the listener's lifetime and re-established
// after a failure.
type pgNotifier struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

// Notify implements store.Notifier.
func (n *pgNotifier) Notify(ctx context.Context, channel, payload string) error {
	if _, err := n.pool.Exec(ctx, "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Listen implements store.Notifier. Messages sent while the listening
// connection is being re-established are lost, which Notifier allows.
func (n *pgNotifier) Listen(ctx context.Context, channel string, handle func(string)) error {
	for {
		err := n.listenOnce(ctx, channel, handle)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		n.logger.WarnContext(ctx, "listen connection lost; reconnecting", "channel", channel, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (n *pgNotifier) listenOnce(ctx context.Context, channel string, handle func(string)) error {
	pooled, err := n.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A LISTENing session must not go back to the pool, nor count against
	// it for its whole life: taken out of the pool at once, it leaves the
	// pool's connections to the queries.
	conn := pooled.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	for {
		msg, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		handle(msg.Payload)
	}
}
