package syncs

import (
	"context"
	"errors"
	"fmt"
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
		dep, err := s.o.Deployments.Get(ctx, environmentID, d.Integration, d.Name)
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
// longer exist are purged, and run records older than keepRuns removed.
func (s *Service) Maintain(ctx context.Context, environmentIDs []string, keepRuns time.Duration) error {
	var errs []error
	for _, env := range environmentIDs {
		if n, err := s.o.Records.Purge(ctx, store.RecordPurge{OrphansOf: env}, 0); err != nil {
			errs = append(errs, fmt.Errorf("purge orphaned records: %w", err))
		} else if n > 0 {
			s.o.Logger.InfoContext(ctx, "purged the records of deleted connections", "environment", env, "records", n)
		}
	}
	if _, err := s.o.Instances.DeleteRunsBefore(ctx, s.now().Add(-keepRuns)); err != nil {
		errs = append(errs, fmt.Errorf("delete old run records: %w", err))
	}
	return errors.Join(errs...)
}
