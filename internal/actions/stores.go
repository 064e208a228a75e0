package actions

import (
	"context"

	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/store"
)

// Deployments are the deployed functions actions run and list: the cache
// (internal/store/cache) in production, so a deploy on one node is seen
// by every node at once.
type Deployments interface {
	functions.Deployments
	List(ctx context.Context, environmentID, integrationKey string) ([]*store.Deployment, error)
	Delete(ctx context.Context, environmentID, integrationKey, typ, name string) error
}
