package syncs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/store"
)

// deploySpread is the window over which the first runs of the instances a
// deploy creates for existing connections are spread.
const deploySpread = 5 * time.Minute

// Deployed creates the instances of the syncs just deployed to an
// integration: with autoStart (Nango's default) every existing connection
// gets an enabled instance, first run spread over a few minutes; without,
// a stopped one that waits for POST /sync/start. Instances that exist are
// kept as they are, with their checkpoints and records: a redeploy changes
// code, not data.
func (s *Service) Deployed(ctx context.Context, environmentID string, deployed []functions.Deployed) error {
	for _, d := range deployed {
		if d.Type != "sync" {
			continue
		}
		s.defs.drop(environmentID, d.Integration)
		dep, err := s.o.Deployments.Get(ctx, environmentID, d.Integration, "sync", d.Name)
		if err != nil {
			return fmt.Errorf("deployment %s/%s: %w", d.Integration, d.Name, err)
		}
		def, err := definition(dep)
		if err != nil {
			return err
		}
		for page := 0; ; page++ {
			conns, err := s.o.Connections.List(ctx, store.ConnectionFilter{EnvironmentID: environmentID, IntegrationKey: dep.IntegrationKey, Limit: 1000, Page: page})
			if err != nil {
				return fmt.Errorf("connections of %s: %w", dep.IntegrationKey, err)
			}
			for _, c := range conns {
				if _, err := s.ensure(ctx, c, dep.Name, store.DefaultVariant, def.AutoStart, deploySpread); err != nil {
					return err
				}
			}
			if len(conns) < 1000 {
				break
			}
		}
		if d.Changed {
			// Existing instances keep their checkpoints and records; a
			// changed model or paging scheme may call for a resync, which
			// is the customer's to ask for.
			s.o.Logger.InfoContext(ctx, "sync deployed; existing instances keep their checkpoints and records (POST /sync/trigger with opts.reset resyncs)",
				"integration", dep.IntegrationKey, "sync", dep.Name, "version", dep.Version, "auto_start", def.AutoStart)
		}
	}
	return nil
}

// ConnectionCreated creates the instances of the integration's syncs for a
// new connection; those that start by themselves run at once (the
// initial sync). It implements the part of auth.Events syncs listen to.
func (s *Service) ConnectionCreated(ctx context.Context, c *store.Connection) error {
	deps, err := s.o.Deployments.List(ctx, c.EnvironmentID, c.IntegrationKey)
	if err != nil {
		return fmt.Errorf("deployments of %s: %w", c.IntegrationKey, err)
	}
	for _, dep := range deps {
		if dep.Type != "sync" {
			continue
		}
		def, err := definition(dep)
		if err != nil {
			return err
		}
		if _, err := s.ensure(ctx, c, dep.Name, store.DefaultVariant, def.AutoStart, 0); err != nil {
			return err
		}
	}
	return nil
}

// ensure creates an instance unless it exists.
func (s *Service) ensure(ctx context.Context, c *store.Connection, syncName, variant string, enabled bool, window time.Duration) (*store.SyncInstance, error) {
	in := &store.SyncInstance{
		EnvironmentID: c.EnvironmentID,
		IntegrationID: c.IntegrationID,
		ConnectionRef: c.ID,
		SyncName:      syncName,
		Variant:       variant,
		Enabled:       enabled,
		Started:       enabled,
	}
	if enabled {
		at := s.now().Add(spread(c.ID+"/"+syncName+"/"+variant, window))
		in.NextRunAt = &at
	}
	got, created, err := s.o.Instances.Ensure(ctx, in)
	if errors.Is(err, store.ErrNotFound) {
		// The connection went away meanwhile: nothing to run.
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sync %s of connection %s: %w", syncName, c.ConnectionID, err)
	}
	if created {
		s.o.Logger.DebugContext(ctx, "sync instance created", "integration", c.IntegrationKey, "connection", c.ConnectionID, "sync", syncName, "variant", variant, "enabled", enabled)
	}
	return got, nil
}

// purgeInstances removes the records of deleted instances, model by model
// of what they stored.
func (s *Service) purgeInstances(ctx context.Context, gone []*store.SyncInstance) error {
	for _, in := range gone {
		if err := s.purgeRecords(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

// purgeRecords removes an instance's records (emptyCache, variant
// deletion, undeploy). The models are its deployment's, as records know
// models, not syncs.
func (s *Service) purgeRecords(ctx context.Context, in *store.SyncInstance) error {
	models, err := s.models(ctx, in)
	if err != nil {
		return err
	}
	for _, m := range models {
		if _, err := s.o.Records.Purge(ctx, store.RecordPurge{ConnectionRef: in.ConnectionRef, Model: m, Variant: in.Variant}, 0); err != nil {
			return fmt.Errorf("purge %s records of %s: %w", m, in.ConnectionID, err)
		}
	}
	return nil
}

// models are the models an instance's sync declares (none if its
// deployment is gone).
func (s *Service) models(ctx context.Context, in *store.SyncInstance) ([]string, error) {
	defs, err := s.syncDefs(ctx, in.EnvironmentID, in.IntegrationKey)
	if err != nil {
		return nil, err
	}
	def := defs[in.SyncName]
	if def == nil {
		return nil, nil
	}
	out := make([]string, 0, len(def.Models))
	for m := range def.Models {
		out = append(out, m)
	}
	return out, nil
}

// Maintain does the periodic housekeeping: records of connections that no
// longer exist are purged, records untouched past their integration's
// retention too (hourly: see retentionEvery), and run records older than
// keepRuns removed.
func (s *Service) Maintain(ctx context.Context, environmentIDs []string, keepRuns time.Duration) error {
	var errs []error
	for _, env := range environmentIDs {
		if n, err := s.o.Records.Purge(ctx, store.RecordPurge{OrphansOf: env}, 0); err != nil {
			errs = append(errs, fmt.Errorf("purge orphaned records: %w", err))
		} else if n > 0 {
			s.o.Logger.InfoContext(ctx, "purged the records of deleted connections", "environment", env, "records", n)
		}
	}
	if now := s.now(); s.retentionDue(now) {
		if _, err := s.PurgeUntouched(ctx, environmentIDs, now); err != nil {
			errs = append(errs, fmt.Errorf("records retention: %w", err))
		}
	}
	if _, err := s.o.Instances.DeleteRunsBefore(ctx, s.now().Add(-keepRuns)); err != nil {
		errs = append(errs, fmt.Errorf("delete old run records: %w", err))
	}
	return errors.Join(errs...)
}

// Undeploy stops and removes a deployed sync: its instances, then its
// records, then the deployment itself (remove deletes it). The instances
// go first so that a run in progress ends: its next heartbeat or write
// finds its instance gone and it stops as a lost lease, saving nothing
// more. The records are found from the integration's connections and the
// sync's models, not from the instances, and the deployment goes last, so
// an undeploy that fails part way (the request cancelled, the node
// stopped) can simply be made again.
func (s *Service) Undeploy(ctx context.Context, dep *store.Deployment, remove func(context.Context) error) error {
	defer s.defs.drop(dep.EnvironmentID, dep.IntegrationKey)
	models, err := s.ownModels(ctx, dep)
	if err != nil {
		return err
	}
	if err := s.deleteInstances(ctx, dep); err != nil {
		return err
	}
	if err := s.purgeModels(ctx, dep, models); err != nil {
		return err
	}
	if err := remove(ctx); err != nil {
		return err
	}
	// An instance made between the first deletion and the removal (a new
	// connection, a status request naming a connection) would outlive its
	// sync: delete it too, with whatever its run saved.
	gone, err := s.o.Instances.List(ctx, store.SyncInstanceFilter{EnvironmentID: dep.EnvironmentID, IntegrationKey: dep.IntegrationKey, SyncNames: []string{dep.Name}})
	if err != nil {
		return fmt.Errorf("sync instances of %s: %w", dep.Name, err)
	}
	if len(gone) == 0 {
		return nil
	}
	if err := s.deleteInstances(ctx, dep); err != nil {
		return err
	}
	return s.purgeModels(ctx, dep, models)
}

// ownModels are the models of a sync's deployment that no other sync of
// its integration declares: records know models, not syncs, so records of
// a model another sync also saves stay.
func (s *Service) ownModels(ctx context.Context, dep *store.Deployment) ([]string, error) {
	def, err := definition(dep)
	if err != nil {
		return nil, err
	}
	deps, err := s.o.Deployments.List(ctx, dep.EnvironmentID, dep.IntegrationKey)
	if err != nil {
		return nil, fmt.Errorf("deployments of %s: %w", dep.IntegrationKey, err)
	}
	shared := map[string]bool{}
	for _, other := range deps {
		if other.Type != "sync" || other.Name == dep.Name {
			continue
		}
		od, err := definition(other)
		if err != nil {
			return nil, err
		}
		for m := range od.Models {
			shared[m] = true
		}
	}
	var out []string
	for _, m := range slices.Sorted(maps.Keys(def.Models)) {
		if !shared[m] {
			out = append(out, m)
		}
	}
	return out, nil
}

// deleteInstances deletes a sync's instances on every connection and
// variant.
func (s *Service) deleteInstances(ctx context.Context, dep *store.Deployment) error {
	ins, err := s.o.Instances.List(ctx, store.SyncInstanceFilter{EnvironmentID: dep.EnvironmentID, IntegrationKey: dep.IntegrationKey, SyncNames: []string{dep.Name}})
	if err != nil {
		return fmt.Errorf("sync instances of %s: %w", dep.Name, err)
	}
	if len(ins) == 0 {
		return nil
	}
	gone, err := s.o.Instances.Delete(ctx, dep.EnvironmentID, ins[0].IntegrationID, "", dep.Name, "")
	if err != nil {
		return fmt.Errorf("delete the instances of sync %s: %w", dep.Name, err)
	}
	s.o.Logger.InfoContext(ctx, "sync undeployed: instances deleted", "integration", dep.IntegrationKey, "sync", dep.Name, "instances", len(gone))
	return nil
}

// purgeModels removes the records of models on every connection of the
// sync's integration, all variants, a chunk per transaction
// (records.Service.Purge).
func (s *Service) purgeModels(ctx context.Context, dep *store.Deployment, models []string) error {
	if len(models) == 0 {
		return nil
	}
	const pageSize = 1000
	total := 0
	for page := 0; ; page++ {
		conns, err := s.o.Connections.List(ctx, store.ConnectionFilter{EnvironmentID: dep.EnvironmentID, IntegrationKey: dep.IntegrationKey, Limit: pageSize, Page: page})
		if err != nil {
			return fmt.Errorf("connections of %s: %w", dep.IntegrationKey, err)
		}
		for _, c := range conns {
			for _, m := range models {
				n, err := s.o.Records.Purge(ctx, store.RecordPurge{ConnectionRef: c.ID, Model: m}, 0)
				total += n
				if err != nil {
					return fmt.Errorf("purge %s records of %s: %w", m, c.ConnectionID, err)
				}
			}
		}
		if len(conns) < pageSize {
			break
		}
	}
	s.o.Logger.InfoContext(ctx, "sync undeployed: records purged", "integration", dep.IntegrationKey, "sync", dep.Name, "records", total)
	return nil
}
