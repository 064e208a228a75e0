// Package actions invokes deployed actions for a connection: input and
// output validated against the action's schemas, run in the functions
// sandbox, synchronously or as a durable job, with idempotency keys so a
// retried request never runs an action twice. REST and MCP share it.
package actions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/functions/serverhost"
	"github.com/patchbay/patchbay/internal/store"
)

// Defaults.
const (
	// IdempotencyWindow is how long a key (and the run it names) is kept.
	IdempotencyWindow = 24 * time.Hour
	// ExecuteGrace is how much longer than its time limit a queued run may
	// take in all: waiting for an execution slot, then recording the result.
	ExecuteGrace = time.Minute
	// MaxRetries bounds X-Max-Retries.
	MaxRetries = 10
	// MaxIdempotencyKey bounds the header's length.
	MaxIdempotencyKey = 255
)

// Error is a refused or failed action: what went wrong and its code;
// internal/api chooses the HTTP status from Kind.
type Error struct {
	Kind fault.Kind
	// Code is the machine-readable code; empty for an invalid member of
	// the request (Field), which has none of its own.
	Code    string
	Message string
	// Field names the member of the request at fault (a header), when
	// there is one.
	Field []string
	// Failure is set for a failed execution (DependencyFailed) and for
	// invalid input (Invalid, Type invalid_input).
	Failure *functions.Failure
	// Err is the underlying cause, for logs.
	Err error
}

// Error is the message (what the function threw, for a failure), then the
// cause unless the message already quotes it.
func (e *Error) Error() string { return fault.Describe("", e.Message, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// FaultKind reports Kind to fault.KindOf.
func (e *Error) FaultKind() fault.Kind { return e.Kind }

// Connections finds a connection (the cached store).
type Connections interface {
	Get(ctx context.Context, environmentID, integrationKey, connectionID string) (*store.Connection, error)
}

// Integrations finds an integration (the cached store), for its
// function limits.
type Integrations interface {
	Get(ctx context.Context, environmentID, uniqueKey string) (*store.Integration, error)
}

// Runs keeps action runs: the record of each invocation, its idempotency
// key and its result (store.ActionRuns has them).
type Runs interface {
	Create(ctx context.Context, run *store.ActionRun) (*store.ActionRun, bool, error)
	Get(ctx context.Context, environmentID, id string) (*store.ActionRun, error)
	Update(ctx context.Context, environmentID, id string, change func(*store.ActionRun) error) (*store.ActionRun, error)
	Stale(ctx context.Context, before time.Time, limit int) ([]*store.ActionRun, error)
}

// Enqueuer schedules a run as a durable job; the job calls Execute.
type Enqueuer interface {
	EnqueueAction(ctx context.Context, environmentID, environmentName, runID string, maxAttempts int) error
}

// Options configure a Service.
type Options struct {
	Runs        Runs
	Deployments Deployments
	Connections Connections
	// Integrations, when set, give per-integration limits.
	Integrations Integrations
	Runtime      *functions.Runtime
	Limiter      *functions.Limiter
	Host         *serverhost.Deps
	// Memory and Timeout bound each execution (defaults: 256 MB, 5 min).
	Memory  int64
	Timeout time.Duration
	Logger  *slog.Logger
	// Enqueuer runs async actions; without one X-Async is refused.
	Enqueuer Enqueuer
	// Deployed, when set, hears about every successful deploy (syncs make
	// their instances).
	Deployed func(ctx context.Context, environmentID string, deployed []functions.Deployed) error
	// UndeploySync, when set, removes a sync being undeployed: its
	// instances and records, and the deployment by calling remove at the
	// point it chooses. Without it a sync's deployment is just deleted.
	UndeploySync func(ctx context.Context, dep *store.Deployment, remove func(context.Context) error) error
	// Done is told about finished async runs (the async_action webhook).
	Done func(ctx context.Context, run *store.ActionRun)
	// RetryBase is the first wait between attempts of a synchronous
	// invocation with X-Max-Retries (default 500 ms, doubling).
	RetryBase time.Duration
	// Node names this node in the runs it executes (default: host, pid
	// and a random suffix).
	Node string
	// Lease is how long an async run's attempt may go without a heartbeat
	// before Sweep fails the run as its node's death (default 2 min).
	Lease time.Duration
	Now   func() time.Time
}

// Service invokes actions.
type Service struct{ o Options }

// SetEnqueuer gives the service its job queue, which itself needs the
// service to run jobs; call it before serving.
func (s *Service) SetEnqueuer(e Enqueuer) { s.o.Enqueuer = e }

// New returns a Service.
func New(o Options) *Service {
	if o.Memory <= 0 {
		o.Memory = functions.DefaultMemory
	}
	if o.Timeout <= 0 {
		o.Timeout = functions.DefaultActionTimeout
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 500 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Node == "" {
		o.Node = defaultNode()
	}
	if o.Lease <= 0 {
		o.Lease = defaultLease
	}
	return &Service{o: o}
}

// Request is one invocation.
type Request struct {
	EnvironmentID   string
	EnvironmentName string
	IntegrationKey  string
	ConnectionID    string
	ActionName      string
	// Input is the action's input as JSON (empty: null).
	Input          json.RawMessage
	IdempotencyKey string
	Async          bool
	MaxRetries     int
}

// Outcome is what an invocation produced: the output of a finished run
// or, for async, the pending run.
type Outcome struct {
	Run    *store.ActionRun // nil for a synchronous run without a key
	Output json.RawMessage
	// Replayed is set when an idempotency key returned an earlier run.
	Replayed bool
}

// ValidMaxRetries reports whether n retries may be asked for.
func ValidMaxRetries(n int) bool { return n >= 0 && n <= MaxRetries }

// ValidIdempotencyKey reports whether key may name a run.
func ValidIdempotencyKey(key string) bool { return len(key) <= MaxIdempotencyKey }

// CheckRequest lists every rule req breaks among those of its retries and
// its idempotency key, each named by the header that carries it, so the
// API can answer them together with the headers it could not read.
func CheckRequest(req Request) fault.Problems {
	var ps fault.Problems
	if !ValidMaxRetries(req.MaxRetries) {
		ps = append(ps, fault.Problem{Code: "invalid_number", Path: []any{"X-Max-Retries"},
			Message: fmt.Sprintf("X-Max-Retries must be a whole number from 0 to %d", MaxRetries)})
	}
	if !ValidIdempotencyKey(req.IdempotencyKey) {
		ps = append(ps, fault.Problem{Code: "too_big", Path: []any{"Idempotency-Key"},
			Message: fmt.Sprintf("Idempotency-Key must be at most %d characters", MaxIdempotencyKey)})
	}
	return ps
}

// Trigger runs an action (or queues it when req.Async). A failed run is an
// *Error of kind DependencyFailed with the Failure.
func (s *Service) Trigger(ctx context.Context, req Request) (*Outcome, error) {
	if ps := CheckRequest(req); len(ps) > 0 {
		return nil, &Error{Kind: fault.Invalid, Field: []string{ps[0].Path[0].(string)}, Message: ps[0].Message}
	}
	if len(req.Input) == 0 {
		req.Input = json.RawMessage("null")
	}
	dep, err := s.deployment(ctx, req.EnvironmentID, req.IntegrationKey, req.ActionName)
	if err != nil {
		return nil, err
	}
	if _, err := s.o.Connections.Get(ctx, req.EnvironmentID, req.IntegrationKey, req.ConnectionID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, &Error{Kind: fault.NotFound, Code: "unknown_connection", Message: fmt.Sprintf("no connection %s for integration %s", req.ConnectionID, req.IntegrationKey)}
		}
		return nil, fmt.Errorf("connection %s: %w", req.ConnectionID, err)
	}
	if req.Async && s.o.Enqueuer == nil {
		return nil, &Error{Kind: fault.Unsupported, Code: "async_unavailable", Message: "asynchronous actions are not available on this node"}
	}
	if req.IdempotencyKey == "" && !req.Async {
		out, err := s.run(ctx, req, dep, uuid.NewString())
		if err != nil {
			return nil, err
		}
		return &Outcome{Output: out}, nil
	}
	return s.recorded(ctx, req, dep)
}

// recorded runs req with a stored run: async invocations and those with
// an idempotency key.
func (s *Service) recorded(ctx context.Context, req Request, dep *store.Deployment) (*Outcome, error) {
	now := s.o.Now()
	status := store.ActionRunning
	if req.Async {
		status = store.ActionPending
	}
	// A run executed here, now, is this request's attempt from the start:
	// its heartbeat tells a twin waiting on the key (replay) that it is
	// alive, and its failure if this node dies mid-run.
	var owner string
	var heartbeat *time.Time
	if !req.Async {
		at := now.UTC()
		owner, heartbeat = s.newOwner(), &at
	}
	run, created, err := s.o.Runs.Create(ctx, &store.ActionRun{
		EnvironmentID: req.EnvironmentID, IntegrationKey: req.IntegrationKey, ConnectionID: req.ConnectionID,
		ActionName: req.ActionName, IdempotencyKey: req.IdempotencyKey, RequestHash: requestHash(req),
		Input: req.Input, Status: status, Async: req.Async, MaxRetries: req.MaxRetries,
		ExpiresAt: now.Add(IdempotencyWindow), Owner: owner, HeartbeatAt: heartbeat,
	})
	if err != nil {
		return nil, fmt.Errorf("record action run: %w", err)
	}
	if !created {
		return s.replay(ctx, req, run)
	}
	if req.Async {
		if err := s.o.Enqueuer.EnqueueAction(ctx, req.EnvironmentID, req.EnvironmentName, run.ID, req.MaxRetries+1); err != nil {
			s.settle(ctx, run, nil, &functions.Failure{Type: "host_error", Message: "the action could not be queued"})
			return nil, fmt.Errorf("enqueue action %s: %w", run.ID, err)
		}
		return &Outcome{Run: run}, nil
	}
	out, _, runErr := s.whileAlive(ctx, run, owner, func(ctx context.Context) (json.RawMessage, error) {
		return s.run(ctx, req, dep, run.ID)
	})
	settled := s.settleAs(context.WithoutCancel(ctx), run, out, failureOf(runErr), owner)
	if settled == nil {
		// Failed meanwhile (settleAs logged why): answer as stored.
		if settled, _ = s.o.Runs.Get(context.WithoutCancel(ctx), run.EnvironmentID, run.ID); settled != nil && settled.Status == store.ActionFailed {
			return &Outcome{Run: settled}, FailureOf(settled)
		}
	}
	if runErr != nil {
		return &Outcome{Run: settled}, runErr
	}
	return &Outcome{Run: settled, Output: out}, nil
}

// replay answers a repeated idempotency key with the first run's result,
// waiting for it when it is still running.
func (s *Service) replay(ctx context.Context, req Request, run *store.ActionRun) (*Outcome, error) {
	if run.RequestHash != requestHash(req) {
		return nil, &Error{Kind: fault.Conflict, Code: "idempotency_key_reused",
			Message: "this Idempotency-Key was used for a different request in the last 24 hours"}
	}
	if req.Async {
		return &Outcome{Run: run, Replayed: true}, nil
	}
	run, err := s.wait(ctx, run)
	if err != nil {
		return nil, err
	}
	if run.Status == store.ActionFailed {
		return &Outcome{Run: run, Replayed: true}, FailureOf(run)
	}
	return &Outcome{Run: run, Output: run.Output, Replayed: true}, nil
}

// wait polls a run another request (or node) is executing until it ends.
// A run that outlives any execution's time limit belonged to a node that
// stopped mid-run: rather than wait forever, the caller is told so.
func (s *Service) wait(ctx context.Context, run *store.ActionRun) (*store.ActionRun, error) {
	delay := 20 * time.Millisecond
	giveUp := run.UpdatedAt.Add(s.settings(ctx, run.EnvironmentID, run.IntegrationKey).limits.Timeout + time.Minute)
	for run.Status == store.ActionPending || run.Status == store.ActionRunning {
		if s.o.Now().After(giveUp) {
			return nil, &Error{Kind: fault.Conflict, Code: "idempotency_key_in_progress",
				Message: "a request with this Idempotency-Key started and has not finished (its node may have stopped); retry with another key"}
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		delay = min(delay*2, time.Second)
		var err error
		if run, err = s.o.Runs.Get(ctx, run.EnvironmentID, run.ID); err != nil {
			return nil, fmt.Errorf("read action run: %w", err)
		}
	}
	return run, nil
}

// Get returns a run, for GET /action/{id}.
func (s *Service) Get(ctx context.Context, environmentID, id string) (*store.ActionRun, error) {
	run, err := s.o.Runs.Get(ctx, environmentID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: fault.NotFound, Code: "unknown_action_run", Message: "no action run with this id (runs are kept 24 hours)"}
	}
	return run, err
}

// Execute runs a queued run: the durable job's work. last says whether
// this is the job's final attempt; a retryable failure before it is
// returned so the queue tries again.
func (s *Service) Execute(ctx context.Context, environmentID, runID, environmentName string, last bool) error {
	run, err := s.o.Runs.Get(ctx, environmentID, runID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // expired or deleted: nothing to do
	}
	if err != nil {
		return err
	}
	if run.Status == store.ActionSucceeded || run.Status == store.ActionFailed {
		return nil
	}
	owner := s.newOwner()
	run, err = s.o.Runs.Update(ctx, environmentID, runID, func(r *store.ActionRun) error {
		now := s.o.Now().UTC()
		r.Status, r.Owner, r.HeartbeatAt = store.ActionRunning, owner, &now
		r.Attempts++
		return nil
	})
	if err != nil {
		return fmt.Errorf("start action run: %w", err)
	}
	// The job queue does not time the job: the limit that applies is the
	// integration's or the node's, up to functions.MaxActionTimeout, and is
	// known only here. The sandbox enforces it on the execution; this
	// bounds the rest (waiting for a slot, recording the result) as well.
	ctx, cancel := context.WithTimeout(ctx, s.settings(ctx, environmentID, run.IntegrationKey).limits.Timeout+ExecuteGrace)
	defer cancel()
	req := Request{EnvironmentID: environmentID, EnvironmentName: environmentName, IntegrationKey: run.IntegrationKey,
		ConnectionID: run.ConnectionID, ActionName: run.ActionName, Input: run.Input}
	out, taken, err := s.whileAlive(ctx, run, owner, func(ctx context.Context) (json.RawMessage, error) {
		dep, err := s.deployment(ctx, environmentID, run.IntegrationKey, run.ActionName)
		if err != nil {
			return nil, err
		}
		return s.attempt(ctx, req, dep, run.ID)
	})
	if taken {
		// The sweep failed the run and said so; nothing is left to record.
		s.o.Logger.WarnContext(ctx, "async action attempt stopped: its run was failed while its heartbeats did not get through", "run", runID)
		return nil
	}
	f := failureOf(err)
	if f != nil && !last && retryable(f) {
		// Back to pending for the queue's next attempt.
		_, _ = s.o.Runs.Update(context.WithoutCancel(ctx), environmentID, runID, func(r *store.ActionRun) error {
			if r.Owner != owner {
				return errRunTaken
			}
			r.Status, r.Owner = store.ActionPending, ""
			return nil
		})
		return err
	}
	settled := s.settleAs(context.WithoutCancel(ctx), run, out, f, owner)
	if s.o.Done != nil && settled != nil {
		s.o.Done(context.WithoutCancel(ctx), settled)
	}
	return nil
}

func (s *Service) deployment(ctx context.Context, environmentID, integrationKey, name string) (*store.Deployment, error) {
	dep, err := s.o.Deployments.Get(ctx, environmentID, integrationKey, "action", name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: fault.NotFound, Code: "unknown_action",
			Message: fmt.Sprintf("no action %s is deployed for integration %s", name, integrationKey)}
	}
	if err != nil {
		return nil, fmt.Errorf("deployment %s/%s: %w", integrationKey, name, err)
	}
	return dep, nil
}

// run executes with the synchronous retry policy of X-Max-Retries.
func (s *Service) run(ctx context.Context, req Request, dep *store.Deployment, executionID string) (json.RawMessage, error) {
	wait := s.o.RetryBase
	for attempt := 0; ; attempt++ {
		out, err := s.attempt(ctx, req, dep, executionID)
		f := failureOf(err)
		if err == nil || attempt >= req.MaxRetries || f == nil || !retryable(f) {
			return out, err
		}
		s.o.Logger.Debug("action failed, retrying", "action", req.ActionName, "integration", req.IntegrationKey,
			"connection", req.ConnectionID, "attempt", attempt+1, "type", f.Type)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return out, err
		case <-t.C:
		}
		wait = min(wait*2, 30*time.Second)
	}
}

// execSettings are what an integration's settings.functions change about
// its executions, over the node's defaults.
type execSettings struct {
	limits functions.Limits
	// perConnection caps the executions running at once on one
	// connection (0: the limiter's default).
	perConnection int
	validation    functions.Validation
}

// settings are an integration's function settings over the node's.
func (s *Service) settings(ctx context.Context, environmentID, integrationKey string) execSettings {
	es := execSettings{limits: functions.Limits{Memory: s.o.Memory, Timeout: s.o.Timeout}}
	if s.o.Integrations == nil {
		return es
	}
	in, err := s.o.Integrations.Get(ctx, environmentID, integrationKey)
	if err != nil || in.Settings.Functions == nil {
		return es
	}
	f := in.Settings.Functions
	if f.Memory > 0 {
		es.limits.Memory = f.Memory
	}
	if f.ActionTimeout > 0 {
		es.limits.Timeout = f.ActionTimeout
	}
	if f.EnforceActionOutput {
		es.validation.Output = functions.OutputEnforce
	}
	es.perConnection = f.ConnectionConcurrency
	return es
}

// attempt is one execution in the sandbox.
func (s *Service) attempt(ctx context.Context, req Request, dep *store.Deployment, executionID string) (json.RawMessage, error) {
	es := s.settings(ctx, req.EnvironmentID, req.IntegrationKey)
	release, err := s.o.Limiter.Acquire(ctx, req.EnvironmentID, req.IntegrationKey+"\x00"+req.ConnectionID, es.perConnection)
	if err != nil {
		return nil, err
	}
	defer release()
	conn, err := s.o.Connections.Get(ctx, req.EnvironmentID, req.IntegrationKey, req.ConnectionID)
	if err != nil {
		return nil, fmt.Errorf("connection %s: %w", req.ConnectionID, err)
	}
	host := serverhost.New(s.o.Host, serverhost.Target{
		EnvironmentID: req.EnvironmentID, IntegrationKey: req.IntegrationKey, ConnectionID: req.ConnectionID,
		Function: req.IntegrationKey + "/" + req.ActionName, ExecutionID: executionID,
	})
	// Locks a function forgets to release end with its execution.
	defer func() { _ = host.ReleaseAllLocks(context.WithoutCancel(ctx)) }()
	out, err := s.o.Runtime.Run(ctx, &functions.Execution{
		// With its map, the run's failure names the TypeScript sources.
		Bundle:     &functions.Bundle{JS: dep.Bundle, Hash: dep.SourceHash, SourceMap: dep.SourceMap},
		Kind:       functions.KindAction,
		Input:      req.Input,
		Host:       host,
		Limits:     es.limits,
		Validation: es.validation,
		Info: functions.Info{
			Name: req.ActionName, ConnectionID: req.ConnectionID, ProviderConfigKey: req.IntegrationKey,
			Provider: conn.Provider, EnvironmentName: req.EnvironmentName,
		},
	})
	if err != nil {
		var f *functions.Failure
		if errors.As(err, &f) {
			s.o.Logger.Debug("action failed", "action", req.ActionName, "integration", req.IntegrationKey,
				"connection", req.ConnectionID, "type", f.Type)
			return nil, errorFor(capFailure(f))
		}
		return nil, fmt.Errorf("run action %s: %w", req.ActionName, err)
	}
	if len(out) > store.DocActionOutput.Max {
		return nil, errorFor(&functions.Failure{Type: "invalid_output",
			Message: fmt.Sprintf("the action's output is %d bytes; at most %s is allowed (use the proxy for large payloads)", len(out), store.Size(store.DocActionOutput.Max))})
	}
	return out, nil
}

// maxFailureMessage is the share of store.DocActionError's cap a
// failure's message may take; the rest is its payload's.
const maxFailureMessage = 16 << 10

// capFailure keeps a failure within store.DocActionError's cap, so that
// however large the message or payload a function throws, the caller gets
// (and the run keeps) a bounded error: a longer message is cut, and a
// payload that does not fit is dropped, saying so in the message.
func capFailure(f *functions.Failure) *functions.Failure {
	fits := func(g *functions.Failure) bool {
		b, err := json.Marshal(toStoredFailure(g))
		return err == nil && len(b) <= store.DocActionError.Max
	}
	// Escaping can make a message's JSON up to six times its bytes, so
	// the cut shrinks until the whole failure fits.
	for limit := maxFailureMessage; ; limit /= 2 {
		out := *f
		if len(out.Message) > limit {
			cut := limit
			for cut > 0 && !utf8.RuneStart(out.Message[cut]) {
				cut--
			}
			out.Message = fmt.Sprintf("%s… (truncated from %d bytes)", out.Message[:cut], len(f.Message))
		}
		if fits(&out) {
			return &out
		}
		out.Payload = nil
		out.Message += fmt.Sprintf(" (payload of %d bytes dropped: an action error is at most %s)", len(f.Payload), store.Size(store.DocActionError.Max))
		if fits(&out) || limit == 0 {
			return &out
		}
	}
}

// settle stores a run's end. It returns nil when the run could not be
// saved (logged): the caller still has the result in hand.
func (s *Service) settle(ctx context.Context, run *store.ActionRun, out json.RawMessage, f *functions.Failure) *store.ActionRun {
	return s.settleAs(ctx, run, out, f, "")
}

// settleAs is settle for the attempt owner ("" for a run no attempt
// owns): a run another attempt or the sweep took is left as it is.
func (s *Service) settleAs(ctx context.Context, run *store.ActionRun, out json.RawMessage, f *functions.Failure, owner string) *store.ActionRun {
	settled, err := s.o.Runs.Update(ctx, run.EnvironmentID, run.ID, func(r *store.ActionRun) error {
		if owner != "" && r.Owner != owner {
			return errRunTaken
		}
		r.Owner = ""
		if f != nil {
			r.Status, r.Error, r.Output = store.ActionFailed, mustJSON(toStoredFailure(f)), nil
		} else {
			r.Status, r.Output, r.Error = store.ActionSucceeded, out, nil
		}
		if r.Attempts == 0 {
			r.Attempts = 1
		}
		return nil
	})
	if errors.Is(err, errRunTaken) {
		s.o.Logger.WarnContext(ctx, "async action attempt finished after its run was failed (its heartbeats did not get through): its outcome is dropped", "run", run.ID)
		return nil
	}
	if err != nil {
		s.o.Logger.Error("save action run", "run", run.ID, "err", err)
		return nil
	}
	return settled
}

// retryable says whether another attempt may succeed: provider errors
// (the proxy already retried what it could) and host failures. A thrown
// ActionError, invalid input/output, a script bug, a timeout or running
// out of memory would fail the same way again.
func retryable(f *functions.Failure) bool {
	return f.Type == "script_http_error" || f.Type == "host_error"
}

func failureOf(err error) *functions.Failure {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		if ae.Failure != nil {
			return ae.Failure
		}
		return &functions.Failure{Type: ae.Code, Message: ae.Message}
	}
	var f *functions.Failure
	if errors.As(err, &f) {
		return f
	}
	return &functions.Failure{Type: "host_error", Message: "the action could not be run"}
}

// FailureOf is the API error of a finished, failed run: 400 for invalid
// input (the caller's fault), 424 otherwise.
func FailureOf(run *store.ActionRun) *Error {
	f, err := decodeFailure(run.Error)
	if err != nil || f.Type == "" {
		f = &functions.Failure{Type: "host_error", Message: "the action failed"}
	}
	return errorFor(f)
}

// errorFor is the API error of a failure.
func errorFor(f *functions.Failure) *Error {
	if f.Type == "invalid_input" {
		return &Error{Kind: fault.Invalid, Code: "invalid_action_input", Message: f.Message, Failure: f}
	}
	code := "action_script_failure"
	if f.Type == "script_http_error" {
		code = "script_http_error"
	}
	return &Error{Kind: fault.DependencyFailed, Code: code, Message: f.Message, Failure: f}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return b
}

// requestHash identifies what a key was used for: the same key with
// another action, connection or input is refused rather than answered
// with an unrelated result.
func requestHash(req Request) string {
	h := sha256.New()
	for _, part := range []string{req.IntegrationKey, req.ConnectionID, req.ActionName} {
		fmt.Fprintf(h, "%d:%s", len(part), part)
	}
	h.Write(canonicalJSON(req.Input))
	return hex.EncodeToString(h.Sum(nil))
}

// canonicalJSON re-encodes v so that whitespace and key order do not
// make two equal inputs differ.
func canonicalJSON(v json.RawMessage) []byte {
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return v
	}
	b, err := json.Marshal(x) // encoding/json sorts map keys
	if err != nil {
		return v
	}
	return b
}
