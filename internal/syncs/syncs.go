// Package syncs runs syncs: a sync instance (a sync function × a
// connection × a variant) is scheduled at its frequency, each run is a job
// on the node's River queue, and a run holds a lease on its instance, which
// it renews while it goes (its heartbeat). The lease is what makes a run
// exclusive across any number of nodes; an expired lease is a run whose
// node died, and the scheduler queues it again to resume from the
// instance's checkpoint.
//
// A run's records and checkpoints go through internal/records, which writes
// a checkpoint in the same transaction as the records saved before it.
package syncs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/functions/serverhost"
	"github.com/patchbay/patchbay/internal/records"
	"github.com/patchbay/patchbay/internal/store"
)

// Error is a refused request: Field names the member at fault.
type Error = fault.Error

func invalid(field, format string, args ...any) *Error {
	return &Error{Kind: fault.Invalid, Code: "invalid_body", Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFound(code, format string, args ...any) *Error {
	return &Error{Kind: fault.NotFound, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Deployments are the deployed functions (store.Deployments or its cache).
type Deployments interface {
	Get(ctx context.Context, environmentID, integrationKey, typ, name string) (*store.Deployment, error)
	List(ctx context.Context, environmentID, integrationKey string) ([]*store.Deployment, error)
}

// Connections are the connections runs are for.
type Connections interface {
	Get(ctx context.Context, environmentID, integrationKey, connectionID string) (*store.Connection, error)
	List(ctx context.Context, f store.ConnectionFilter) ([]*store.Connection, error)
}

// Integrations give per-integration function limits and records
// retention.
type Integrations interface {
	Get(ctx context.Context, environmentID, uniqueKey string) (*store.Integration, error)
	List(ctx context.Context, environmentID string) ([]*store.Integration, error)
}

// Job is one queued run: the instance and the queue token it was queued
// with.
type Job struct {
	EnvironmentID string `json:"environment_id"`
	InstanceID    string `json:"instance_id"`
	Token         string `json:"token"`
}

// Enqueuer puts runs on the job queue.
type Enqueuer interface {
	EnqueueSync(ctx context.Context, job Job, maxAttempts int) error
}

// Outcome is what a finished run changed in one model (or, with Err set,
// how the run failed): the sync webhook's content.
type Outcome struct {
	EnvironmentID  string
	IntegrationKey string
	ConnectionID   string
	SyncName       string
	Variant        string
	Model          string
	Type           string // store.SyncInitial or store.SyncIncremental
	Counts         store.RecordCounts
	// Invalid counts the model's records the run skipped as invalid.
	Invalid int
	// ModifiedAfter is the run's start: records it changed were modified
	// at or after it.
	ModifiedAfter time.Time
	StartedAt     time.Time
	FinishedAt    time.Time
	// Err is the failure of a failed run.
	Err *functions.Failure
}

// Events hears about finished runs (the sync webhooks).
type Events interface {
	SyncFinished(ctx context.Context, o Outcome)
}

// Options configure a Service.
type Options struct {
	Instances    store.SyncInstances
	Records      *records.Service
	Deployments  Deployments
	Connections  Connections
	Integrations Integrations
	Runtime      *functions.Runtime
	Limiter      *functions.Limiter
	Host         *serverhost.Deps
	Enqueuer     Enqueuer
	Events       Events
	Logger       *slog.Logger
	// Node names this process in leases and run records (default: host
	// name and process id).
	Node string
	// LeaseTTL is how long a run's lease lasts without a heartbeat: how
	// soon the run of a dead node is taken over (default 2 min).
	LeaseTTL time.Duration
	// MaxAttempts is how many times a failing run is tried before the
	// instance is marked ERROR (default 3).
	MaxAttempts int
	// Workers is how many runs this node runs at once (default 8): the
	// scheduler queues no more than that.
	Workers int
	// Memory and Timeout bound each run (defaults: 256 MB, 24 h).
	Memory  int64
	Timeout time.Duration
	// Tick is how often the scheduler looks for due instances (default
	// 1 s).
	Tick time.Duration
	Now  func() time.Time
}

// Service schedules and runs syncs.
type Service struct {
	o    Options
	busy atomic.Int64 // runs in progress on this node

	schemaMu    sync.Mutex
	schemaCache map[string]map[string]*records.Schema

	defs defsCache

	// retainedAt is when Maintain last applied records retention
	// (UnixNano; 0: not yet).
	retainedAt atomic.Int64

	// stopping ends when the node begins to stop (HandOver): runs in
	// progress end and are queued again, for another node to resume.
	stopping context.Context
	handOver context.CancelCauseFunc
}

// New returns a Service.
func New(o Options) *Service {
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 2 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Memory <= 0 {
		o.Memory = functions.DefaultMemory
	}
	if o.Timeout <= 0 {
		o.Timeout = functions.DefaultSyncTimeout
	}
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
	if o.Now == nil {
		o.Now = func() time.Time { return time.Now().UTC() }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Node == "" {
		// Host name and pid alone are not unique: containers on one host
		// name all run as pid 1, and tests run several nodes in a process.
		host, _ := os.Hostname()
		o.Node = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), newToken()[:6])
	}
	stopping, handOver := context.WithCancelCause(context.Background())
	return &Service{o: o, stopping: stopping, handOver: handOver}
}

// errNodeStopping ends the runs of a node that begins to stop (HandOver).
var errNodeStopping = errors.New("the node is stopping")

// HandOver is called when the node begins to stop. Its runs in progress
// end at once, keep what they saved (records and checkpoint), and are
// queued again, so that another node (or this one once restarted)
// resumes each from its last checkpoint: without it they would hold the
// shutdown up for its whole timeout and then wait for their leases to
// expire. Runs handed to this node afterwards are queued again without
// starting, and the scheduler stops claiming due instances. Calling it
// again does nothing.
func (s *Service) HandOver() { s.handOver(errNodeStopping) }

// Node names this node in the runs it leases.
func (s *Service) Node() string { return s.o.Node }

// SetEnqueuer gives the service its job queue, which itself needs the
// service to run jobs; call it before serving.
func (s *Service) SetEnqueuer(e Enqueuer) { s.o.Enqueuer = e }

func (s *Service) now() time.Time { return s.o.Now().UTC() }

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// spread is a deterministic offset in [0, window) for an instance: the
// same instance always lands at the same place, and many instances made
// at once (a deploy over thousands of connections) spread over the window
// instead of all starting together.
func spread(id string, window time.Duration) time.Duration {
	if window <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	return time.Duration(h.Sum64() % uint64(window))
}

// definition reads a deployment's definition.
func definition(dep *store.Deployment) (*functions.Definition, error) {
	var def functions.Definition
	if err := json.Unmarshal(dep.Definition, &def); err != nil {
		return nil, fmt.Errorf("definition of %s: %w", dep.Name, err)
	}
	return &def, nil
}

// frequencyOf is an instance's interval: its override or its sync's.
func frequencyOf(in *store.SyncInstance, def *functions.Definition) time.Duration {
	if in.Frequency > 0 {
		return in.Frequency
	}
	d, err := functions.ParseFrequency(def.Frequency)
	if err != nil {
		// Deploys refuse such frequencies; a definition stored before
		// that rule runs daily rather than never.
		return 24 * time.Hour
	}
	return d
}

// runOptions are a queued run's options (SyncInstance.RunOptions).
type runOptions struct {
	Reset      bool `json:"reset,omitempty"`
	EmptyCache bool `json:"emptyCache,omitempty"`
	// Next holds a trigger's options that arrived while a run was going:
	// the run queues its successor with them when it ends.
	Next *runOptions `json:"next,omitempty"`
}

func decodeOptions(raw json.RawMessage) runOptions {
	var o runOptions
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &o)
	}
	return o
}

func encodeOptions(o runOptions) json.RawMessage {
	if o == (runOptions{}) {
		return nil
	}
	b, _ := json.Marshal(o)
	return b
}
