package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/patchbay/patchbay/internal/actions"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/store/postgres"
	"github.com/patchbay/patchbay/internal/store/sqlite"
	"github.com/patchbay/patchbay/internal/syncs"
)

// actionJob is a queued async action run.
type actionJob struct {
	EnvironmentID   string `json:"environment_id"`
	EnvironmentName string `json:"environment_name"`
	RunID           string `json:"run_id"`
}

func (actionJob) Kind() string { return "action" }

type actionWorker struct {
	river.WorkerDefaults[actionJob]
	actions *actions.Service
}

func (w *actionWorker) Work(ctx context.Context, job *river.Job[actionJob]) error {
	last := job.Attempt >= job.MaxAttempts
	return w.actions.Execute(ctx, job.Args.EnvironmentID, job.Args.RunID, job.Args.EnvironmentName, last)
}

// Timeout leaves timing to the run: its limit is the integration's or the
// node's (up to functions.MaxActionTimeout), which only the actions service
// reads, and Execute bounds itself by it. A fixed timeout here would cut
// actions allowed to run longer short.
func (w *actionWorker) Timeout(*river.Job[actionJob]) time.Duration { return -1 }

// rescueAfter is when River takes a job still marked running for one whose
// node died, and runs it again. It must exceed the longest run a live node
// can be busy with, or a long action would run twice at once.
const rescueAfter = functions.MaxActionTimeout + actions.ExecuteGrace + 10*time.Minute

// NextRetry retries sooner than River's default (attempt⁴ seconds): an
// async action's caller is waiting on its result.
func (w *actionWorker) NextRetry(job *river.Job[actionJob]) time.Time {
	return time.Now().Add(time.Duration(1<<min(job.Attempt, 8)) * time.Second)
}

// syncJob is a queued sync run; syncs.Service.Work checks its token
// against the instance's, so a stale copy does nothing.
type syncJob struct {
	syncs.Job
}

func (syncJob) Kind() string { return "sync" }

type syncWorker struct {
	river.WorkerDefaults[syncJob]
	syncs *syncs.Service
}

func (w *syncWorker) Work(ctx context.Context, job *river.Job[syncJob]) error {
	return w.syncs.Work(ctx, job.Args.Job, job.Attempt)
}

// Timeout leaves timing to the run, which bounds itself by the sync's
// time limit (24 h by default).
func (w *syncWorker) Timeout(*river.Job[syncJob]) time.Duration { return -1 }

// NextRetry waits 30 s, then doubling, before a failed run's next attempt.
func (w *syncWorker) NextRetry(job *river.Job[syncJob]) time.Time {
	return time.Now().Add(syncs.NextRetry(job.Attempt))
}

// jobs is the node's River client, whichever driver the store has.
type jobs interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	actions.Enqueuer
	syncs.Enqueuer
}

type riverJobs[TTx any] struct {
	client *river.Client[TTx]
}

func (j *riverJobs[TTx]) Start(ctx context.Context) error { return j.client.Start(ctx) }
func (j *riverJobs[TTx]) Stop(ctx context.Context) error  { return j.client.Stop(ctx) }

func (j *riverJobs[TTx]) EnqueueAction(ctx context.Context, environmentID, environmentName, runID string, maxAttempts int) error {
	_, err := j.client.Insert(ctx, actionJob{EnvironmentID: environmentID, EnvironmentName: environmentName, RunID: runID},
		&river.InsertOpts{MaxAttempts: maxAttempts, Queue: "actions"})
	return err
}

func (j *riverJobs[TTx]) EnqueueSync(ctx context.Context, job syncs.Job, maxAttempts int) error {
	_, err := j.client.Insert(ctx, syncJob{Job: job}, &river.InsertOpts{MaxAttempts: maxAttempts, Queue: "syncs"})
	return err
}

func newRiverJobs[TTx any](driver riverdriver.Driver[TTx], svc *actions.Service, sy *syncs.Service, concurrency, syncWorkers int, pollOnly bool, softStop time.Duration, logger *slog.Logger) (*riverJobs[TTx], error) {
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &actionWorker{actions: svc}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &syncWorker{syncs: sy}); err != nil {
		return nil, err
	}
	client, err := river.NewClient(driver, &river.Config{
		Queues: map[string]river.QueueConfig{
			"actions": {MaxWorkers: concurrency},
			"syncs":   {MaxWorkers: syncWorkers},
		},
		Workers:           workers,
		Logger:            logger.With("component", "jobs"),
		PollOnly:          pollOnly,
		FetchPollInterval: 100 * time.Millisecond,
		// Cancelled jobs and finished ones are not kept long: the action
		// run holds the result.
		CompletedJobRetentionPeriod: time.Hour,
		RescueStuckJobsAfter:        rescueAfter,
		// Stop waits this long for the jobs in flight, then cancels them.
		SoftStopTimeout: softStop,
	})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &riverJobs[TTx]{client: client}, nil
}

// newJobs picks River's driver for the store: pgx on PostgreSQL, the
// single writer connection on SQLite (which has no LISTEN, so it polls).
// softStop is how long a stop waits for the jobs in flight before it
// cancels them.
func newJobs(s store.Store, svc *actions.Service, sy *syncs.Service, concurrency, syncWorkers int, softStop time.Duration, logger *slog.Logger) (jobs, error) {
	switch st := s.(type) {
	case *postgres.Store:
		return newRiverJobs(riverpgxv5.New(st.Pool()), svc, sy, concurrency, syncWorkers, false, softStop, logger)
	case *sqlite.Store:
		return newRiverJobs(riversqlite.New(st.Writer()), svc, sy, concurrency, syncWorkers, true, softStop, logger)
	default:
		return nil, fmt.Errorf("job queue: no River driver for store %T", s)
	}
}
