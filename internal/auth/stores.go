package auth

import (
	"context"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// The views of the store a Service uses, each the calls it makes. In
// production Connections and Integrations are the caches
// (internal/store/cache): a Service holds no other view of them, so none
// of its writes can skip the caches' invalidation.

// Connections are end users' connections (store.Connections has them).
type Connections interface {
	Get(ctx context.Context, environmentID, integrationKey, connectionID string) (*store.Connection, error)
	ByID(ctx context.Context, id string) (*store.Connection, error)
	List(ctx context.Context, f store.ConnectionFilter) ([]*store.Connection, error)
	Upsert(ctx context.Context, c *store.Connection) (created bool, err error)
	Update(ctx context.Context, id string, change func(*store.Connection) error) (*store.Connection, error)
	Delete(ctx context.Context, environmentID, integrationKey, connectionID string) error
	Expiring(ctx context.Context, before time.Time, after store.ExpiringKey, limit int) ([]store.ExpiringKey, error)
}

// Integrations find the integration a flow or a refresh uses
// (store.Integrations has them).
type Integrations interface {
	Get(ctx context.Context, environmentID, uniqueKey string) (*store.Integration, error)
}

// OAuthSessions keep the state of authorisations in flight
// (store.OAuthSessions has them).
type OAuthSessions interface {
	Create(ctx context.Context, s *store.OAuthSession) error
	Take(ctx context.Context, id string) (*store.OAuthSession, error)
	TakeByRequestToken(ctx context.Context, requestToken string) (*store.OAuthSession, error)
}

// ConnectSessions are read to check that the session a flow started from
// still stands (store.ConnectSessions has them).
type ConnectSessions interface {
	ByID(ctx context.Context, id string) (*store.ConnectSession, error)
}

// Locker takes the refresh lock shared by every process on the database
// (store.Locker).
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}
