package syncs

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/wire"
)

// Ref names a sync, and a variant of it ("" for every variant where a
// selection allows, the base one where one instance is meant).
type Ref = wire.SyncRef

// Selection picks sync instances of one integration: the named syncs (all
// the integration's when empty) on one connection (all when empty).
type Selection struct {
	EnvironmentID  string
	IntegrationKey string
	ConnectionID   string
	Syncs          []Ref
}

// TriggerOptions are a manual run's options.
type TriggerOptions struct {
	// Reset forgets the checkpoint and lastSyncDate: a full resync.
	Reset bool
	// EmptyCache deletes the instance's records before the run.
	EmptyCache bool
}

var variantName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$`)

// resolve returns the selected instances, creating the missing ones of
// deployed syncs (a sync deployed before its connection's instances were
// made), stopped. An unknown sync or connection is an error.
func (s *Service) resolve(ctx context.Context, sel Selection) ([]*store.SyncInstance, error) {
	if sel.IntegrationKey == "" {
		return nil, invalid("provider_config_key", "provider_config_key is required")
	}
	syncs, err := s.syncDefs(ctx, sel.EnvironmentID, sel.IntegrationKey)
	if err != nil {
		return nil, err
	}
	var names []string
	for i, r := range sel.Syncs {
		if _, ok := syncs[r.Name]; !ok {
			e := notFound("unknown_sync", "no sync %q is deployed for integration %s", r.Name, sel.IntegrationKey)
			e.Field = fmt.Sprintf("syncs.%d", i)
			return nil, e
		}
		if r.Variant != "" && !variantName.MatchString(r.Variant) {
			return nil, invalid(fmt.Sprintf("syncs.%d.variant", i), "a variant is letters, digits, '_', '-' and '.' (at most 255)")
		}
		names = append(names, r.Name)
	}
	if len(sel.Syncs) == 0 {
		for n := range syncs {
			names = append(names, n)
		}
	}
	var conns []*store.Connection
	if sel.ConnectionID != "" {
		c, err := s.o.Connections.Get(ctx, sel.EnvironmentID, sel.IntegrationKey, sel.ConnectionID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound("unknown_connection", "no connection %s for integration %s", sel.ConnectionID, sel.IntegrationKey)
		}
		if err != nil {
			return nil, fmt.Errorf("connection %s: %w", sel.ConnectionID, err)
		}
		conns = []*store.Connection{c}
	}
	list := func() ([]*store.SyncInstance, error) {
		all, err := s.o.Instances.List(ctx, store.SyncInstanceFilter{EnvironmentID: sel.EnvironmentID, IntegrationKey: sel.IntegrationKey,
			ConnectionID: sel.ConnectionID, SyncNames: names})
		if err != nil {
			return nil, fmt.Errorf("sync instances: %w", err)
		}
		return slices.DeleteFunc(all, func(in *store.SyncInstance) bool { return !selected(sel.Syncs, in) }), nil
	}
	got, err := list()
	if err != nil || len(conns) == 0 {
		return got, err
	}
	// One connection: make what is missing of the base variants.
	have := map[string]bool{}
	for _, in := range got {
		have[in.SyncName+"\x00"+in.Variant] = true
	}
	missing := false
	for _, n := range names {
		if !have[n+"\x00"+store.DefaultVariant] && wantsBase(sel.Syncs, n) {
			if _, err := s.ensure(ctx, conns[0], n, store.DefaultVariant, false, 0); err != nil {
				return nil, err
			}
			missing = true
		}
	}
	if missing {
		return list()
	}
	return got, nil
}

func selected(refs []Ref, in *store.SyncInstance) bool {
	if len(refs) == 0 {
		return true
	}
	for _, r := range refs {
		if r.Name == in.SyncName && (r.Variant == "" || r.Variant == in.Variant) {
			return true
		}
	}
	return false
}

func wantsBase(refs []Ref, name string) bool {
	if len(refs) == 0 {
		return true
	}
	for _, r := range refs {
		if r.Name == name && (r.Variant == "" || r.Variant == store.DefaultVariant) {
			return true
		}
	}
	return false
}

// Trigger runs the selected instances now, with opts. An instance already
// running runs again when it ends, with these options.
func (s *Service) Trigger(ctx context.Context, sel Selection, opts TriggerOptions) error {
	ins, err := s.resolve(ctx, sel)
	if err != nil {
		return err
	}
	o := runOptions{Reset: opts.Reset, EmptyCache: opts.EmptyCache}
	var errs []error
	for _, in := range ins {
		queued := false
		got, err := s.o.Instances.Update(ctx, in.EnvironmentID, in.ID, func(cur *store.SyncInstance) error {
			now := s.now()
			if cur.QueueToken != "" {
				// Queued or running: it runs again right after, with these
				// options (the scheduler never claims a queued instance).
				ro := decodeOptions(cur.RunOptions)
				next := o
				ro.Next = &next
				cur.RunOptions = encodeOptions(ro)
				return nil
			}
			cur.QueueToken, cur.QueuedAt, cur.NextRunAt = newToken(), &now, nil
			cur.RunOptions = encodeOptions(o)
			queued = true
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("trigger %s of %s: %w", in.SyncName, in.ConnectionID, err))
			continue
		}
		if queued {
			if err := s.enqueue(ctx, got); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Pause stops the selected instances' schedule; a run going on ends
// normally.
func (s *Service) Pause(ctx context.Context, sel Selection) error {
	return s.setEnabled(ctx, sel, false)
}

// Start resumes (or, for autoStart false, starts) the selected instances'
// schedule: a never-run or overdue instance runs at once.
func (s *Service) Start(ctx context.Context, sel Selection) error {
	return s.setEnabled(ctx, sel, true)
}

func (s *Service) setEnabled(ctx context.Context, sel Selection, enabled bool) error {
	ins, err := s.resolve(ctx, sel)
	if err != nil {
		return err
	}
	defs, err := s.syncDefs(ctx, sel.EnvironmentID, sel.IntegrationKey)
	if err != nil {
		return err
	}
	var errs []error
	for _, in := range ins {
		def := defs[in.SyncName]
		if def == nil {
			errs = append(errs, notFound("unknown_sync", "no sync %q is deployed for integration %s", in.SyncName, in.IntegrationKey))
			continue
		}
		_, err = s.o.Instances.Update(ctx, in.EnvironmentID, in.ID, func(cur *store.SyncInstance) error {
			cur.Enabled = enabled
			if !enabled {
				cur.NextRunAt = nil
				return nil
			}
			cur.Started = true
			if cur.QueueToken != "" {
				return nil // running: it schedules itself when it ends
			}
			now := s.now()
			next := now
			if cur.FinishedAt != nil {
				if at := cur.FinishedAt.Add(frequencyOf(cur, def)); at.After(now) {
					next = at
				}
			}
			cur.NextRunAt = &next
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Status describes the selected instances, as GET /sync/status.
func (s *Service) Status(ctx context.Context, sel Selection) ([]wire.SyncStatus, error) {
	ins, err := s.resolve(ctx, sel)
	if err != nil {
		return nil, err
	}
	defs, err := s.syncDefs(ctx, sel.EnvironmentID, sel.IntegrationKey)
	if err != nil {
		return nil, err
	}
	out := make([]wire.SyncStatus, 0, len(ins))
	counts := map[string]map[string]int64{}
	for _, in := range ins {
		st := wire.SyncStatus{
			ID: in.ID, ConnectionID: in.ConnectionID, Name: in.SyncName, Variant: in.Variant,
			Status: statusOf(in), Type: in.RunType, FinishedAt: in.FinishedAt, NextScheduledSyncAt: in.NextRunAt,
			LatestResult: map[string]wire.RecordCounts{}, InvalidRecords: map[string]int{}, Error: in.LastError,
		}
		if st.Type == "" {
			st.Type = store.SyncInitial
		}
		for m, c := range in.LatestResult {
			st.LatestResult[m] = wire.RecordCounts(c)
		}
		for m, n := range in.LatestInvalid {
			st.InvalidRecords[m] = n
		}
		if def := defs[in.SyncName]; def != nil {
			st.Frequency = def.Frequency
			if in.Frequency > 0 {
				st.Frequency = FormatFrequency(in.Frequency)
			}
			st.RecordCount = map[string]int64{}
			key := in.ConnectionRef + "\x00" + in.Variant
			if counts[key] == nil {
				if counts[key], err = s.o.Records.Counts(ctx, in.ConnectionRef, in.Variant); err != nil {
					return nil, fmt.Errorf("record counts: %w", err)
				}
			}
			for m := range def.Models {
				st.RecordCount[m] = counts[key][m]
				// Every model shows, 0 when the last run skipped none.
				st.InvalidRecords[m] = in.LatestInvalid[m]
			}
		}
		cp, err := s.o.Instances.Checkpoint(ctx, in.ID)
		if err != nil {
			return nil, fmt.Errorf("checkpoint of %s: %w", in.SyncName, err)
		}
		st.Checkpoint = cp
		out = append(out, st)
	}
	return out, nil
}

// statusOf is Nango's status of an instance.
func statusOf(in *store.SyncInstance) string {
	switch {
	case in.QueueToken != "":
		return "RUNNING" // queued or going
	case !in.Enabled && in.Started:
		return "PAUSED"
	case !in.Enabled:
		return "STOPPED"
	case in.LastStatus != "":
		return in.LastStatus
	default:
		return "RUNNING" // enabled, its first run about to start
	}
}

// FormatFrequency writes an interval the way frequencies are written.
func FormatFrequency(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("every %dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("every %dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("every %dm", d/time.Minute)
	default:
		return fmt.Sprintf("every %ds", d/time.Second)
	}
}

// SetFrequency overrides one instance's frequency (nil reverts to the
// sync's) and returns the frequency in force.
func (s *Service) SetFrequency(ctx context.Context, sel Selection, frequency *string) (string, error) {
	if sel.ConnectionID == "" {
		return "", invalid("connection_id", "connection_id is required")
	}
	if len(sel.Syncs) != 1 || sel.Syncs[0].Name == "" {
		return "", invalid("sync_name", "sync_name is required")
	}
	var d time.Duration
	if frequency != nil {
		var err error
		if d, err = functions.ParseFrequency(*frequency); err != nil {
			return "", invalid("frequency", "%v", err)
		}
	}
	if sel.Syncs[0].Variant == "" {
		sel.Syncs[0].Variant = store.DefaultVariant
	}
	ins, err := s.resolve(ctx, sel)
	if err != nil {
		return "", err
	}
	if len(ins) == 0 {
		return "", notFound("unknown_sync", "no variant %s of sync %s on connection %s", sel.Syncs[0].Variant, sel.Syncs[0].Name, sel.ConnectionID)
	}
	in := ins[0]
	defs, err := s.syncDefs(ctx, sel.EnvironmentID, sel.IntegrationKey)
	if err != nil {
		return "", err
	}
	def := defs[in.SyncName]
	if def == nil {
		return "", notFound("unknown_sync", "no sync %q is deployed for integration %s", in.SyncName, in.IntegrationKey)
	}
	_, err = s.o.Instances.Update(ctx, in.EnvironmentID, in.ID, func(cur *store.SyncInstance) error {
		cur.Frequency = d
		if cur.NextRunAt != nil && cur.FinishedAt != nil {
			next := cur.FinishedAt.Add(frequencyOf(cur, def))
			if next.Before(s.now()) {
				next = s.now()
			}
			cur.NextRunAt = &next
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("set the frequency of %s: %w", in.SyncName, err)
	}
	if d > 0 {
		return FormatFrequency(d), nil
	}
	return def.Frequency, nil
}

// CreateVariant makes a variant instance of a sync on a connection,
// started (it runs at once).
func (s *Service) CreateVariant(ctx context.Context, environmentID, integrationKey, connectionID, syncName, variant string) (*store.SyncInstance, error) {
	c, err := s.variantTarget(ctx, environmentID, integrationKey, connectionID, syncName, variant)
	if err != nil {
		return nil, err
	}
	existing, err := s.o.Instances.List(ctx, store.SyncInstanceFilter{EnvironmentID: environmentID, IntegrationKey: integrationKey,
		ConnectionID: connectionID, SyncNames: []string{syncName}, Variant: variant})
	if err != nil {
		return nil, fmt.Errorf("sync instances: %w", err)
	}
	if len(existing) > 0 {
		return nil, &Error{Kind: fault.Conflict, Code: "sync_variant_exists", Message: fmt.Sprintf("sync %s already has a variant %s on connection %s", syncName, variant, connectionID)}
	}
	return s.ensure(ctx, c, syncName, variant, true, 0)
}

// DeleteVariant removes a variant instance and its records.
func (s *Service) DeleteVariant(ctx context.Context, environmentID, integrationKey, connectionID, syncName, variant string) error {
	c, err := s.variantTarget(ctx, environmentID, integrationKey, connectionID, syncName, variant)
	if err != nil {
		return err
	}
	ins, err := s.o.Instances.List(ctx, store.SyncInstanceFilter{EnvironmentID: environmentID, IntegrationKey: integrationKey,
		ConnectionID: connectionID, SyncNames: []string{syncName}, Variant: variant})
	if err != nil {
		return fmt.Errorf("sync instances: %w", err)
	}
	if len(ins) == 0 {
		return notFound("unknown_sync_variant", "sync %s has no variant %s on connection %s", syncName, variant, connectionID)
	}
	// Records first: the instance names the models whose records go.
	if err := s.purgeRecords(ctx, ins[0]); err != nil {
		return err
	}
	gone, err := s.o.Instances.Delete(ctx, environmentID, c.IntegrationID, c.ID, syncName, variant)
	if err != nil {
		return fmt.Errorf("delete variant %s: %w", variant, err)
	}
	return s.purgeInstances(ctx, gone)
}

func (s *Service) variantTarget(ctx context.Context, environmentID, integrationKey, connectionID, syncName, variant string) (*store.Connection, error) {
	switch {
	case integrationKey == "":
		return nil, invalid("provider_config_key", "provider_config_key is required")
	case connectionID == "":
		return nil, invalid("connection_id", "connection_id is required")
	case variant == store.DefaultVariant:
		return nil, invalid("variant", "%s is the default variant; pick another name", store.DefaultVariant)
	case !variantName.MatchString(variant):
		return nil, invalid("variant", "a variant is letters, digits, '_', '-' and '.' (at most 255)")
	}
	_, err := s.o.Deployments.Get(ctx, environmentID, integrationKey, "sync", syncName)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("unknown_sync", "no sync %q is deployed for integration %s", syncName, integrationKey)
	}
	if err != nil {
		return nil, fmt.Errorf("deployment %s: %w", syncName, err)
	}
	c, err := s.o.Connections.Get(ctx, environmentID, integrationKey, connectionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("unknown_connection", "no connection %s for integration %s", connectionID, integrationKey)
	}
	if err != nil {
		return nil, fmt.Errorf("connection %s: %w", connectionID, err)
	}
	return c, nil
}
