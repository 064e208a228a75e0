package syncs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/functions/serverhost"
	"github.com/patchbay/patchbay/internal/records"
	"github.com/patchbay/patchbay/internal/store"
)

// errLeaseLost ends a run whose lease another node took (it looked dead:
// its heartbeats stopped reaching the database).
var errLeaseLost = errors.New("the run's lease was lost")

// errNotQueued is a job whose run is no longer the instance's queued run.
var errNotQueued = errors.New("not the queued run")

// Work runs one queued run (a job of the queue). attempt counts from 1;
// an error asks the queue to try again later, which it does up to
// MaxAttempts. A job that is not the instance's queued run any more (the
// sweep queued it again, the instance was deleted) does nothing.
func (s *Service) Work(ctx context.Context, job Job, attempt int) error {
	s.busy.Add(1)
	defer s.busy.Add(-1)
	if s.stopping.Err() != nil {
		return s.requeue(ctx, job)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer context.AfterFunc(s.stopping, func() { cancel(errNodeStopping) })()
	leaseID := s.o.Node + "/" + newToken()[:8]
	in, opts, started, err := s.lease(ctx, job, leaseID)
	if errors.Is(err, errNotQueued) || errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	last := attempt >= s.o.MaxAttempts
	if !started {
		opts = runOptions{} // a resumed run's options were applied when it started
	}
	return s.run(ctx, in, opts, leaseID, last)
}

// lease takes the instance's run for this node, starting a new run or
// resuming the one in progress (whose node died, or whose attempt failed).
func (s *Service) lease(ctx context.Context, job Job, leaseID string) (*store.SyncInstance, runOptions, bool, error) {
	var opts runOptions
	started := false
	in, err := s.o.Instances.Update(ctx, job.EnvironmentID, job.InstanceID, func(in *store.SyncInstance) error {
		now := s.now()
		if in.QueueToken != job.Token {
			return errNotQueued
		}
		if in.LeaseOwner != "" && in.LeaseUntil != nil && in.LeaseUntil.After(now) {
			return errNotQueued // a live run has it (cannot happen but by a duplicate job)
		}
		in.LeaseOwner = leaseID
		until := now.Add(s.o.LeaseTTL)
		in.LeaseUntil = &until
		opts = decodeOptions(in.RunOptions)
		started = in.RunResult == nil // else a resumed run
		if started {
			in.Generation++
			in.RunID = uuid.Must(uuid.NewV7()).String()
			started := now
			in.RunStartedAt = &started
			in.RunResult, in.RunInvalid = map[string]store.RecordCounts{}, nil
			if opts.Reset {
				in.LastSuccessAt = nil
			}
			in.RunType = store.SyncIncremental
			if in.LastSuccessAt == nil {
				in.RunType = store.SyncInitial
			}
		}
		return nil
	})
	if errors.Is(err, errNotQueued) {
		return nil, opts, false, errNotQueued
	}
	if err != nil {
		return nil, opts, false, fmt.Errorf("lease sync run: %w", err)
	}
	return in, opts, started, nil
}

// run executes the leased run and records its outcome.
func (s *Service) run(ctx context.Context, in *store.SyncInstance, opts runOptions, leaseID string, last bool) error {
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	rec := &store.SyncRun{InstanceID: in.ID, Generation: in.Generation, Node: s.o.Node, Status: "running"}
	if err := s.o.Instances.StartRun(ctx, rec); err != nil {
		s.release(ctx, in, leaseID)
		return fmt.Errorf("record sync run: %w", err)
	}
	if opts.Reset || opts.EmptyCache {
		if err := s.prepare(ctx, in, opts); err != nil {
			s.release(ctx, in, leaseID)
			_ = s.o.Instances.FinishRun(ctx, rec.ID, store.SyncError, nil, nil, failureJSON(hostFailure(err)), s.now())
			return err
		}
	}

	r := &runSync{s: s, in: in}
	r.writer = s.o.Records.Writer(ctx, store.RecordScope{EnvironmentID: in.EnvironmentID, ConnectionRef: in.ConnectionRef, Variant: in.Variant}, in.ID, leaseID, s.o.LeaseTTL, in.Generation)
	defer r.writer.Close()

	heartbeat := make(chan struct{})
	go func() {
		defer close(heartbeat)
		s.heartbeat(runCtx, in, leaseID, r, cancel)
	}()
	def, runErr := s.execute(runCtx, in, r)
	cancel(nil)
	<-heartbeat

	if cause := context.Cause(runCtx); errors.Is(cause, errLeaseLost) || errors.Is(runErr, store.ErrLeaseLost) {
		if !errors.Is(cause, errLeaseLost) {
			cause = runErr
		}
		return s.leaseLost(ctx, in, rec, r, cause)
	}
	// Whatever happened, the records saved so far are kept: a resumed or
	// later run goes on from the last checkpoint, and saving a record
	// again changes nothing.
	bg := context.WithoutCancel(ctx)
	if runErr == nil {
		runErr = r.finish(bg, def)
	} else if err := r.writer.Flush(bg); err != nil {
		// The function saw a write refused for a lost lease as its own
		// failure (the host error does not carry the cause); the writer
		// keeps the cause.
		if errors.Is(err, store.ErrLeaseLost) {
			return s.leaseLost(ctx, in, rec, r, err)
		}
		s.o.Logger.WarnContext(ctx, "sync run: keep the records of a failed run", "sync", in.SyncName, "connection", in.ConnectionID, "err", err)
	}
	if errors.Is(runErr, store.ErrLeaseLost) {
		return s.leaseLost(ctx, in, rec, r, runErr)
	}
	if runErr == nil {
		return s.succeeded(bg, in, def, rec, r, leaseID)
	}
	if ctx.Err() != nil {
		// The node is stopping (HandOver, or the queue cancelled its
		// jobs): the run is queued again at once and resumed from its
		// checkpoint, on another node or here after a restart. It costs
		// no attempt: the run did not fail.
		_ = s.o.Instances.FinishRun(bg, rec.ID, store.SyncError, r.counts(), r.invalidCounts(), failureJSON(&functions.Failure{Type: functions.FailureCancelled, Message: "the node stopped; the run goes on from its last checkpoint"}), s.now())
		return s.handOverRun(bg, in, leaseID)
	}
	return s.failed(bg, in, def, rec, r, leaseID, runErr, last)
}

// leaseLost ends a run whose lease is gone: another node took the run
// over, or the instance was deleted (its sync undeployed, its connection
// deleted). There is nothing to record on the instance and nothing to
// retry, so the job ends without an error.
func (s *Service) leaseLost(ctx context.Context, in *store.SyncInstance, rec *store.SyncRun, r *runSync, cause error) error {
	_ = s.o.Instances.FinishRun(context.WithoutCancel(ctx), rec.ID, store.SyncError, r.counts(), r.invalidCounts(), failureJSON(&functions.Failure{Type: "lease_lost", Message: cause.Error()}), s.now())
	s.o.Logger.WarnContext(ctx, "sync run stopped: its lease is gone (another node took the run over, or the sync or its connection was removed)", "sync", in.SyncName, "connection", in.ConnectionID)
	return nil
}

// prepare applies a triggered run's options before it starts: reset
// forgets the checkpoint, emptyCache the records.
func (s *Service) prepare(ctx context.Context, in *store.SyncInstance, opts runOptions) error {
	if opts.Reset {
		if err := s.o.Instances.SetCheckpoint(ctx, in.ID, nil); err != nil {
			return fmt.Errorf("reset the checkpoint: %w", err)
		}
	}
	if opts.EmptyCache {
		if err := s.purgeRecords(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

// heartbeat renews the lease until ctx ends, and saves the run's counts
// so far (a resumed run reports the whole run). A renewal that finds the
// lease gone ends the run.
func (s *Service) heartbeat(ctx context.Context, in *store.SyncInstance, leaseID string, r *runSync, cancel context.CancelCauseFunc) {
	t := time.NewTicker(max(s.o.LeaseTTL/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		counts, invalid := r.counts(), r.invalidCounts()
		_, err := s.o.Instances.Update(ctx, in.EnvironmentID, in.ID, func(cur *store.SyncInstance) error {
			if cur.LeaseOwner != leaseID {
				return errLeaseLost
			}
			until := s.now().Add(s.o.LeaseTTL)
			cur.LeaseUntil = &until
			cur.RunResult, cur.RunInvalid = counts, invalid
			return nil
		})
		switch {
		case errors.Is(err, errLeaseLost), errors.Is(err, store.ErrNotFound):
			cancel(errLeaseLost)
			return
		case err != nil && ctx.Err() == nil:
			s.o.Logger.WarnContext(ctx, "sync heartbeat", "sync", in.SyncName, "connection", in.ConnectionID, "err", err)
		}
	}
}

// execute runs the sync function.
func (s *Service) execute(ctx context.Context, in *store.SyncInstance, r *runSync) (*functions.Definition, error) {
	dep, err := s.o.Deployments.Get(ctx, in.EnvironmentID, in.IntegrationKey, "sync", in.SyncName)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &functions.Failure{Type: "unknown_sync", Message: fmt.Sprintf("no sync %s is deployed for integration %s", in.SyncName, in.IntegrationKey)}
	}
	if err != nil {
		return nil, fmt.Errorf("deployment %s: %w", in.SyncName, err)
	}
	def, err := definition(dep)
	if err != nil {
		return nil, err
	}
	r.models = def.Models
	if r.schemas, err = s.schemas(dep, def); err != nil {
		return def, &functions.Failure{Type: "invalid_model", Message: err.Error()}
	}
	conn, err := s.o.Connections.Get(ctx, in.EnvironmentID, in.IntegrationKey, in.ConnectionID)
	if err != nil {
		return def, fmt.Errorf("connection %s: %w", in.ConnectionID, err)
	}
	limits, perConnection := s.limits(ctx, in)
	release, err := s.o.Limiter.Acquire(ctx, in.EnvironmentID, in.IntegrationKey+"\x00"+in.ConnectionID, perConnection)
	if err != nil {
		return def, err
	}
	defer release()
	host := serverhost.New(s.o.Host, serverhost.Target{
		EnvironmentID: in.EnvironmentID, IntegrationKey: in.IntegrationKey, ConnectionID: in.ConnectionID,
		Function: in.IntegrationKey + "/" + in.SyncName, ExecutionID: in.RunID, Sync: r,
	})
	defer func() { _ = host.ReleaseAllLocks(context.WithoutCancel(ctx)) }()
	r.log = host.Log
	info := functions.Info{
		Name: in.SyncName, ConnectionID: in.ConnectionID, ProviderConfigKey: in.IntegrationKey, Provider: conn.Provider,
		SyncID: in.ID, Variant: in.Variant,
	}
	if in.LastSuccessAt != nil {
		info.LastSyncDate = in.LastSuccessAt.UTC().Format(time.RFC3339Nano)
	}
	_, err = s.o.Runtime.Run(ctx, &functions.Execution{
		Bundle: &functions.Bundle{JS: dep.Bundle, Hash: dep.SourceHash, SourceMap: dep.SourceMap},
		Kind:   functions.KindSync,
		Host:   host,
		Limits: limits,
		Info:   info,
	})
	return def, err
}

// limits are the integration's function limits over the node's.
func (s *Service) limits(ctx context.Context, in *store.SyncInstance) (functions.Limits, int) {
	l := functions.Limits{Memory: s.o.Memory, Timeout: s.o.Timeout}
	if s.o.Integrations == nil {
		return l, 0
	}
	integ, err := s.o.Integrations.Get(ctx, in.EnvironmentID, in.IntegrationKey)
	if err != nil || integ.Settings.Functions == nil {
		return l, 0
	}
	f := integ.Settings.Functions
	if f.Memory > 0 {
		l.Memory = f.Memory
	}
	if f.SyncTimeout > 0 {
		l.Timeout = f.SyncTimeout
	}
	return l, f.ConnectionConcurrency
}

// succeeded records a successful run and schedules the next.
func (s *Service) succeeded(ctx context.Context, in *store.SyncInstance, def *functions.Definition, rec *store.SyncRun, r *runSync, leaseID string) error {
	counts, invalid := r.counts(), r.invalidCounts()
	end := s.now()
	var next *store.SyncInstance
	updated, err := s.o.Instances.Update(ctx, in.EnvironmentID, in.ID, func(cur *store.SyncInstance) error {
		if cur.LeaseOwner != leaseID {
			return errLeaseLost
		}
		cur.LastStatus, cur.LastError, cur.Failures = store.SyncSuccess, nil, 0
		cur.FinishedAt, cur.LastSuccessAt = &end, cur.RunStartedAt
		cur.LatestResult, cur.RunResult = counts, nil
		cur.LatestInvalid, cur.RunInvalid = invalid, nil
		s.endRun(cur, def, end)
		if cur.QueueToken != "" {
			next = cur
		}
		return nil
	})
	if errors.Is(err, errLeaseLost) || errors.Is(err, store.ErrNotFound) {
		// Another run has the instance, or it is gone (its sync undeployed,
		// its connection deleted): nothing is left to record or schedule.
		_ = s.o.Instances.FinishRun(ctx, rec.ID, store.SyncError, counts, invalid, failureJSON(&functions.Failure{Type: "lease_lost", Message: errLeaseLost.Error()}), end)
		return nil
	}
	if err != nil {
		return fmt.Errorf("record the end of sync %s: %w", in.SyncName, err)
	}
	_ = s.o.Instances.FinishRun(ctx, rec.ID, store.SyncSuccess, counts, invalid, nil, end)
	s.o.Logger.DebugContext(ctx, "sync run succeeded", "integration", in.IntegrationKey, "connection", in.ConnectionID, "sync", in.SyncName,
		"variant", in.Variant, "type", in.RunType, "result", counts, "invalid_records", invalid)
	s.notify(ctx, updated, counts, invalid, nil, end)
	if next != nil {
		return s.enqueue(ctx, next)
	}
	return nil
}

// failed records a failed attempt: the queue tries it again unless it was
// the last, after which the instance shows ERROR and waits for its next
// scheduled run (which starts from the checkpoint the failed run left).
func (s *Service) failed(ctx context.Context, in *store.SyncInstance, def *functions.Definition, rec *store.SyncRun, r *runSync, leaseID string, runErr error, last bool) error {
	f := hostFailure(runErr)
	counts, invalid := r.counts(), r.invalidCounts()
	end := s.now()
	_ = s.o.Instances.FinishRun(ctx, rec.ID, store.SyncError, counts, invalid, failureJSON(f), end)
	retry := !last && retryable(f)
	var next *store.SyncInstance
	updated, err := s.o.Instances.Update(ctx, in.EnvironmentID, in.ID, func(cur *store.SyncInstance) error {
		if cur.LeaseOwner != leaseID {
			return errLeaseLost
		}
		cur.LeaseOwner, cur.LeaseUntil = "", nil
		if retry {
			// Still queued under the same token: the queue's next attempt
			// resumes this run.
			cur.QueuedAt = &end
			cur.RunResult, cur.RunInvalid = counts, invalid
			return nil
		}
		cur.LastStatus, cur.LastError = store.SyncError, failureJSON(f)
		cur.Failures++
		cur.FinishedAt = &end
		cur.LatestResult, cur.RunResult = counts, nil
		cur.LatestInvalid, cur.RunInvalid = invalid, nil
		s.endRun(cur, def, end)
		if cur.QueueToken != "" {
			next = cur
		}
		return nil
	})
	if errors.Is(err, errLeaseLost) || errors.Is(err, store.ErrNotFound) {
		return nil // as in succeeded: the instance is another run's, or gone
	}
	if err != nil {
		return fmt.Errorf("record the failure of sync %s: %w", in.SyncName, err)
	}
	s.o.Logger.InfoContext(ctx, "sync run failed", "integration", in.IntegrationKey, "connection", in.ConnectionID, "sync", in.SyncName,
		"variant", in.Variant, "type", f.Type, "message", f.Message, "retry", retry)
	if retry {
		return fmt.Errorf("sync %s failed: %s", in.SyncName, f.Message)
	}
	s.notify(ctx, updated, counts, invalid, f, end)
	if next != nil {
		return s.enqueue(ctx, next)
	}
	return nil
}

// endRun releases the instance's lease and queue token and schedules it:
// at once with the options of a trigger that came during the run, else a
// frequency after the end (plus the instance's fixed jitter), or not at
// all when disabled.
func (s *Service) endRun(in *store.SyncInstance, def *functions.Definition, end time.Time) {
	opts := decodeOptions(in.RunOptions)
	in.LeaseOwner, in.LeaseUntil = "", nil
	in.QueueToken, in.QueuedAt, in.RunOptions = "", nil, nil
	if opts.Next != nil {
		in.QueueToken, in.QueuedAt, in.RunOptions = newToken(), &end, encodeOptions(*opts.Next)
		in.NextRunAt = nil
		return
	}
	if !in.Enabled {
		in.NextRunAt = nil
		return
	}
	freq := 24 * time.Hour
	if def != nil {
		freq = frequencyOf(in, def)
	}
	next := end.Add(freq + spread(in.ID, freq/20))
	in.NextRunAt = &next
}

// release gives the lease up without ending the run (the node stops):
// the queued job's next attempt takes it again.
func (s *Service) release(ctx context.Context, in *store.SyncInstance, leaseID string) {
	_, err := s.o.Instances.Update(context.WithoutCancel(ctx), in.EnvironmentID, in.ID, func(cur *store.SyncInstance) error {
		if cur.LeaseOwner != leaseID {
			return store.ErrSkip
		}
		now := s.now()
		cur.LeaseOwner, cur.LeaseUntil, cur.QueuedAt = "", nil, &now
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrSkip) && !errors.Is(err, store.ErrNotFound) {
		s.o.Logger.WarnContext(ctx, "release a sync run's lease", "sync", in.SyncName, "connection", in.ConnectionID, "err", err)
	}
}

// handOverRun gives up the lease of a run this node stops, with a new
// queue token, and queues the run again for whichever node takes it
// first. If the queue refuses, the instance stays queued and the sweep
// queues it after queuedTimeout.
func (s *Service) handOverRun(ctx context.Context, in *store.SyncInstance, leaseID string) error {
	return s.queueAgain(ctx, in.EnvironmentID, in.ID, func(cur *store.SyncInstance) bool { return cur.LeaseOwner == leaseID })
}

// requeue queues again a job handed to a stopping node, without running
// it: its run (new or resumed) is for another node.
func (s *Service) requeue(ctx context.Context, job Job) error {
	return s.queueAgain(ctx, job.EnvironmentID, job.InstanceID, func(cur *store.SyncInstance) bool {
		live := cur.LeaseOwner != "" && cur.LeaseUntil != nil && cur.LeaseUntil.After(s.now())
		return cur.QueueToken == job.Token && !live
	})
}

// queueAgain gives the instance a new queue token and no lease, and
// queues it, if mine says the queued run is still this node's to give.
func (s *Service) queueAgain(ctx context.Context, envID, instanceID string, mine func(*store.SyncInstance) bool) error {
	ctx = context.WithoutCancel(ctx)
	in, err := s.takeBack(ctx, envID, instanceID, mine)
	if err != nil || in == nil {
		return err
	}
	if err := s.enqueue(ctx, in); err != nil {
		s.o.Logger.WarnContext(ctx, "hand a sync run over: the sweep will queue it", "sync", in.SyncName, "connection", in.ConnectionID, "err", err)
		return nil
	}
	s.o.Logger.InfoContext(ctx, "sync run handed over: the node is stopping", "integration", in.IntegrationKey, "connection", in.ConnectionID, "sync", in.SyncName, "variant", in.Variant)
	return nil
}

// takeBack gives the instance a new queue token (which makes any job of
// the old one a no-op) and no lease, if take says so; the caller queues
// it. A nil instance means there was nothing to take back.
func (s *Service) takeBack(ctx context.Context, envID, instanceID string, take func(*store.SyncInstance) bool) (*store.SyncInstance, error) {
	in, err := s.o.Instances.Update(ctx, envID, instanceID, func(cur *store.SyncInstance) error {
		if !take(cur) {
			return store.ErrSkip
		}
		now := s.now()
		cur.LeaseOwner, cur.LeaseUntil = "", nil
		cur.QueueToken, cur.QueuedAt, cur.NextRunAt = newToken(), &now, nil
		return nil
	})
	if errors.Is(err, store.ErrSkip) || errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue sync run again: %w", err)
	}
	return in, nil
}

// notify sends one outcome per model the run changed, with the records it
// skipped as invalid, or one for a failure.
func (s *Service) notify(ctx context.Context, in *store.SyncInstance, counts map[string]store.RecordCounts, invalid map[string]int, f *functions.Failure, end time.Time) {
	if s.o.Events == nil || in == nil {
		return
	}
	base := Outcome{
		EnvironmentID: in.EnvironmentID, IntegrationKey: in.IntegrationKey, ConnectionID: in.ConnectionID,
		SyncName: in.SyncName, Variant: in.Variant, Type: in.RunType, FinishedAt: end, Err: f,
	}
	if in.RunStartedAt != nil {
		base.ModifiedAfter, base.StartedAt = *in.RunStartedAt, *in.RunStartedAt
	}
	if f != nil {
		s.o.Events.SyncFinished(ctx, base)
		return
	}
	for _, model := range slices.Sorted(maps.Keys(counts)) {
		c := counts[model]
		if c == (store.RecordCounts{}) {
			continue
		}
		o := base
		o.Model, o.Counts, o.Invalid = model, c, invalid[model]
		s.o.Events.SyncFinished(ctx, o)
	}
}

// hostFailure is a run's error as a failure: the function's own, or
// Patchbay's as a host_error.
func hostFailure(err error) *functions.Failure {
	var f *functions.Failure
	if errors.As(err, &f) {
		return f
	}
	return &functions.Failure{Type: "host_error", Message: err.Error()}
}

// retryable says whether trying again may help: not for a function that
// is wrong (it would fail the same way), yes for everything else.
func retryable(f *functions.Failure) bool {
	switch f.Type {
	case "invalid_output", "unknown_sync", functions.FailureMemory:
		return false
	}
	return true
}

const maxFailureMessage = 16 << 10

func failureJSON(f *functions.Failure) json.RawMessage {
	if f == nil {
		return nil
	}
	g := *f
	if len(g.Message) > maxFailureMessage {
		g.Message = g.Message[:maxFailureMessage] + "…"
	}
	if len(g.Payload) > maxFailureMessage {
		g.Payload = nil
	}
	b, err := json.Marshal(g)
	if err != nil {
		return nil
	}
	return b
}

// schemas returns the compiled schemas of a deployment's models, compiled
// once per deployed version.
func (s *Service) schemas(dep *store.Deployment, def *functions.Definition) (map[string]*records.Schema, error) {
	key := dep.EnvironmentID + "\x00" + dep.IntegrationKey + "\x00" + dep.Name + "\x00" + dep.SourceHash + "\x00" + dep.UpdatedAt.String()
	s.schemaMu.Lock()
	defer s.schemaMu.Unlock()
	if got, ok := s.schemaCache[key]; ok {
		return got, nil
	}
	out := make(map[string]*records.Schema, len(def.Models))
	for m, raw := range def.Models {
		sc, err := records.CompileSchema(m, raw)
		if err != nil {
			return nil, err
		}
		out[m] = sc
	}
	if s.schemaCache == nil || len(s.schemaCache) >= 256 {
		s.schemaCache = map[string]map[string]*records.Schema{}
	}
	s.schemaCache[key] = out
	return out, nil
}
