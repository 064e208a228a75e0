package syncs

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/patchbay/patchbay/internal/functions"
)

// defsTTL is how long the definitions of an integration's syncs are
// reused. GET /records and GET /sync/status need them at every call, and
// listing deployments reads their bundles; a deploy on this node drops the
// entry at once, one on another node is seen within defsTTL.
const defsTTL = 2 * time.Second

// maxDefs bounds the integrations whose definitions are kept.
const maxDefs = 4096

type defsEntry struct {
	at   time.Time
	defs map[string]*functions.Definition
}

// defsCache keeps the definitions of the syncs deployed per integration.
type defsCache struct {
	mu sync.Mutex
	m  map[string]defsEntry
}

func defsKey(environmentID, integrationKey string) string {
	return environmentID + "\x00" + integrationKey
}

func (c *defsCache) drop(environmentID, integrationKey string) {
	c.mu.Lock()
	delete(c.m, defsKey(environmentID, integrationKey))
	c.mu.Unlock()
}

// syncDefs returns the definitions of the syncs deployed to an
// integration, by name. Callers must not modify them.
func (s *Service) syncDefs(ctx context.Context, environmentID, integrationKey string) (map[string]*functions.Definition, error) {
	key := defsKey(environmentID, integrationKey)
	now := time.Now()
	s.defs.mu.Lock()
	if e, ok := s.defs.m[key]; ok && now.Sub(e.at) < defsTTL {
		s.defs.mu.Unlock()
		return e.defs, nil
	}
	s.defs.mu.Unlock()
	deps, err := s.o.Deployments.List(ctx, environmentID, integrationKey)
	if err != nil {
		return nil, fmt.Errorf("deployments of %s: %w", integrationKey, err)
	}
	defs := map[string]*functions.Definition{}
	for _, d := range deps {
		if d.Type != "sync" {
			continue
		}
		def, err := definition(d)
		if err != nil {
			return nil, err
		}
		defs[d.Name] = def
	}
	s.defs.mu.Lock()
	if s.defs.m == nil || len(s.defs.m) >= maxDefs {
		s.defs.m = map[string]defsEntry{}
	}
	s.defs.m[key] = defsEntry{at: now, defs: defs}
	s.defs.mu.Unlock()
	return defs, nil
}
