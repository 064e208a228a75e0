package syncs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/patchbay/patchbay/internal/store"
)

// Timings of the scheduler.
const (
	// sweepEvery is how often the scheduler looks for dead runs.
	sweepEvery = 15 * time.Second
	// queuedTimeout is how long a queued run may wait for a node to take
	// its lease before it is queued again (its job was lost: a node died
	// between claiming and queuing, or the queue dropped it).
	queuedTimeout = 10 * time.Minute
	// retryBase is the first wait before a failed run is tried again.
	retryBase = 30 * time.Second
)

// Schedule runs the scheduler until ctx ends: every tick it queues the due
// instances this node has room for, and every sweepEvery it queues again
// the runs whose node died. Every node runs it; the store makes sure an
// instance is claimed by one.
func (s *Service) Schedule(ctx context.Context) {
	tick := time.NewTicker(s.o.Tick)
	defer tick.Stop()
	lastSweep := time.Time{}
	for {
		if err := s.tick(ctx); err != nil && ctx.Err() == nil {
			s.o.Logger.WarnContext(ctx, "sync scheduler", "err", err)
		}
		if now := s.now(); now.Sub(lastSweep) >= sweepEvery {
			lastSweep = now
			if err := s.sweep(ctx); err != nil && ctx.Err() == nil {
				s.o.Logger.WarnContext(ctx, "sync sweep", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// tick queues due instances, as many as this node has free workers.
func (s *Service) tick(ctx context.Context) error {
	room := s.o.Workers - int(s.busy.Load())
	if room <= 0 || s.stopping.Err() != nil {
		return nil
	}
	due, err := s.o.Instances.ClaimDue(ctx, s.now(), room)
	if err != nil {
		return fmt.Errorf("claim due syncs: %w", err)
	}
	var errs []error
	for _, in := range due {
		if err := s.enqueue(ctx, in); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// enqueue puts the instance's queued run on the job queue. If that fails
// the instance stays queued, and the sweep queues it again after
// queuedTimeout.
func (s *Service) enqueue(ctx context.Context, in *store.SyncInstance) error {
	if s.o.Enqueuer == nil {
		return errors.New("no job queue")
	}
	if err := s.o.Enqueuer.EnqueueSync(ctx, Job{EnvironmentID: in.EnvironmentID, InstanceID: in.ID, Token: in.QueueToken}, s.o.MaxAttempts); err != nil {
		return fmt.Errorf("queue sync %s of %s: %w", in.SyncName, in.ConnectionID, err)
	}
	return nil
}

// sweep queues again the runs that look dead: a lease that expired (the
// node died mid-run; the new run resumes from the checkpoint) or a run
// queued long ago that no node took. The new queue token makes the old
// job, should it still run, a no-op.
func (s *Service) sweep(ctx context.Context) error {
	now := s.now()
	stale, err := s.o.Instances.Stale(ctx, now, now.Add(-queuedTimeout), 100)
	if err != nil {
		return fmt.Errorf("find dead runs: %w", err)
	}
	var errs []error
	for _, old := range stale {
		in, err := s.takeBack(ctx, old.EnvironmentID, old.ID, func(in *store.SyncInstance) bool {
			now := s.now()
			expired := in.LeaseOwner != "" && in.LeaseUntil != nil && in.LeaseUntil.Before(now)
			lost := in.LeaseOwner == "" && in.QueueToken != "" && in.QueuedAt != nil && in.QueuedAt.Before(now.Add(-queuedTimeout))
			return expired || lost // else it moved on meanwhile
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if in == nil {
			continue
		}
		s.o.Logger.WarnContext(ctx, "sync run taken over", "integration", in.IntegrationKey, "connection", in.ConnectionID,
			"sync", in.SyncName, "variant", in.Variant, "dead_lease", old.LeaseOwner)
		if err := s.enqueue(ctx, in); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// NextRetry is when a failed attempt is tried again: 30 s, then doubling.
func NextRetry(attempt int) time.Duration {
	return retryBase << min(max(attempt-1, 0), 6)
}
