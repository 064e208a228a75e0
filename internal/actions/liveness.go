package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/store"
)

// An async run's attempt says it is alive while it runs: the run names the
// attempt (Owner) and carries a heartbeat it renews every Lease/4. Sweep
// fails the runs whose heartbeat stopped for Lease, whose node died
// mid-run: the job queue cannot tell a dead node from a long action, so it
// would run their job again only after the longest an action may take
// (a day), and the caller would wait that long for an answer. Such a run
// is failed, not run again: it may have done part of its work.

// errRunTaken ends an attempt whose run is no longer its own: the sweep
// failed it while the attempt's heartbeats were not getting through.
var errRunTaken = errors.New("the action run is no longer this attempt's: its heartbeat had stopped and the run was failed")

// nodeLostMessage is the failure of a run whose node stopped mid-run.
const nodeLostMessage = "the node running the action stopped before it finished; the action may have done part of its work"

// defaultLease is Options.Lease's default.
const defaultLease = 2 * time.Minute

// newOwner names one attempt of a run on this node.
func (s *Service) newOwner() string { return s.o.Node + "/" + uuid.NewString()[:8] }

func defaultNode() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), uuid.NewString()[:6])
}

// heartbeat renews the run's heartbeat until ctx ends. If the run is no
// longer owner's, it cancels the attempt with errRunTaken.
func (s *Service) heartbeat(ctx context.Context, run *store.ActionRun, owner string, cancel context.CancelCauseFunc) {
	t := time.NewTicker(max(s.o.Lease/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := s.o.Runs.Update(ctx, run.EnvironmentID, run.ID, func(r *store.ActionRun) error {
			if r.Owner != owner || r.Status != store.ActionRunning {
				return errRunTaken
			}
			now := s.o.Now().UTC()
			r.HeartbeatAt = &now
			return nil
		})
		switch {
		case errors.Is(err, errRunTaken):
			cancel(errRunTaken)
			return
		case err != nil && ctx.Err() == nil:
			// The next beat may get through; the lease allows three to fail.
			s.o.Logger.WarnContext(ctx, "action run heartbeat", "run", run.ID, "err", err)
		}
	}
}

// whileAlive runs work for the attempt owner of run with its heartbeat
// going; taken says the sweep failed the run meanwhile (work was then
// cancelled).
func (s *Service) whileAlive(ctx context.Context, run *store.ActionRun, owner string, work func(context.Context) (json.RawMessage, error)) (out json.RawMessage, taken bool, err error) {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		s.heartbeat(ctx, run, owner, stop)
	}()
	out, err = work(ctx)
	taken = errors.Is(context.Cause(ctx), errRunTaken)
	stop(nil)
	<-beating
	return out, taken, err
}

// Watch runs Sweep every Lease/4 until ctx ends.
func (s *Service) Watch(ctx context.Context) {
	t := time.NewTicker(max(s.o.Lease/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.o.Logger.WarnContext(ctx, "action run sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep fails the running runs whose heartbeat stopped for Lease (their
// node died), and tells Done about each as about any finished run.
func (s *Service) Sweep(ctx context.Context) error {
	stale, err := s.o.Runs.Stale(ctx, s.o.Now().UTC().Add(-s.o.Lease), 100)
	if err != nil {
		return err
	}
	var errs []error
	for _, old := range stale {
		failed, err := s.o.Runs.Update(ctx, old.EnvironmentID, old.ID, func(r *store.ActionRun) error {
			// Only as found: a beat or an outcome since means it is alive.
			if r.Status != store.ActionRunning || r.Owner != old.Owner || r.HeartbeatAt == nil || !r.HeartbeatAt.Equal(*old.HeartbeatAt) {
				return errRunTaken
			}
			f := &functions.Failure{Type: functions.FailureCancelled, Message: nodeLostMessage}
			r.Status, r.Error, r.Output, r.Owner = store.ActionFailed, mustJSON(toStoredFailure(f)), nil, ""
			return nil
		})
		if errors.Is(err, errRunTaken) || errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("fail action run %s: %w", old.ID, err))
			continue
		}
		s.o.Logger.WarnContext(ctx, "async action run failed: its node stopped mid-run", "run", old.ID,
			"integration", old.IntegrationKey, "action", old.ActionName, "connection", old.ConnectionID, "attempt", old.Owner)
		if s.o.Done != nil {
			s.o.Done(ctx, failed)
		}
	}
	return errors.Join(errs...)
}
