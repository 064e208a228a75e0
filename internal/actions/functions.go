package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/functions/serverhost"
	"github.com/patchbay/patchbay/internal/store"
)

// DeployResult is what a deploy did.
type DeployResult struct {
	Deployed []functions.Deployed
	// Stale, after a deploy of the whole project (no function named),
	// are the environment's deployed functions the files no longer have:
	// removed, renamed, or exporting another type now. They stay deployed
	// unless the deploy prunes them.
	Stale []*store.Deployment
	// Removed are the stale functions a pruning deploy removed (Stale is
	// then empty).
	Removed []*store.Deployment
}

// Deploy compiles and stores functions for an environment (POST
// /functions/deploy): those only names, or all the files have. With
// prune (only for the whole project), the environment's functions the
// files do not have are removed after, as Undeploy removes them.
func (s *Service) Deploy(ctx context.Context, environmentID string, files map[string]string, only []string, prune bool) (*DeployResult, error) {
	if prune && len(only) > 0 {
		return nil, &DeploymentError{Kind: fault.Invalid, Code: "invalid_body", Field: "prune",
			Message: "prune removes what the project no longer has, so it needs the whole project: name no functions with it"}
	}
	deployed, err := functions.Deploy(ctx, s.o.Runtime, s.o.Deployments, environmentID, files, only)
	if err != nil {
		return nil, err
	}
	res := &DeployResult{Deployed: deployed}
	// The functions are live; what follows (sync instances) is made again,
	// idempotently, by deploying again should it fail.
	if s.o.Deployed != nil {
		if err := s.o.Deployed(ctx, environmentID, deployed); err != nil {
			return nil, fmt.Errorf("after deploying: %w", err)
		}
	}
	if len(only) > 0 {
		return res, nil
	}
	if res.Stale, err = s.stale(ctx, environmentID, deployed); err != nil {
		return nil, err
	}
	if !prune {
		return res, nil
	}
	stale := res.Stale
	res.Stale = nil // what is not in the project any more is gone
	for _, d := range stale {
		dep, err := s.Undeploy(ctx, environmentID, d.IntegrationKey, d.Name, d.Type)
		if errors.Is(err, store.ErrNotFound) || fault.KindOf(err) == fault.NotFound {
			continue // removed meanwhile
		}
		if err != nil {
			// Deploying again with prune goes on from here.
			return nil, fmt.Errorf("prune: %w", err)
		}
		res.Removed = append(res.Removed, dep)
	}
	return res, nil
}

// stale lists the environment's deployed functions that are not among
// deployed (by integration, type and name).
func (s *Service) stale(ctx context.Context, environmentID string, deployed []functions.Deployed) ([]*store.Deployment, error) {
	type key struct{ integration, typ, name string }
	have := make(map[key]bool, len(deployed))
	for _, d := range deployed {
		have[key{d.Integration, d.Type, d.Name}] = true
	}
	all, err := s.o.Deployments.List(ctx, environmentID, "")
	if err != nil {
		return nil, fmt.Errorf("list deployed functions: %w", err)
	}
	var out []*store.Deployment
	for _, d := range all {
		if !have[key{d.IntegrationKey, d.Type, d.Name}] {
			out = append(out, d)
		}
	}
	return out, nil
}

// Undeploy removes the function deployed as name in an integration
// (DELETE /functions/{integration}/{name}) and returns what it removed.
// typ ("action", "sync", "on-event"; "" for any) picks among functions of
// different types sharing the name; without it such a name is a Conflict
// naming type. A sync's instances stop and its records go with it.
func (s *Service) Undeploy(ctx context.Context, environmentID, integrationKey, name, typ string) (*store.Deployment, error) {
	switch typ {
	case "", "action", "sync", "on-event":
	default:
		return nil, &DeploymentError{Kind: fault.Invalid, Code: "invalid_query_params", Field: "type", Message: fmt.Sprintf("type %q is not one of action, sync, on-event", typ)}
	}
	deps, err := s.o.Deployments.List(ctx, environmentID, integrationKey)
	if err != nil {
		return nil, fmt.Errorf("deployments of %s: %w", integrationKey, err)
	}
	var match []*store.Deployment
	for _, d := range deps {
		if d.Name == name && (typ == "" || d.Type == typ) {
			match = append(match, d)
		}
	}
	switch {
	case len(match) == 0 && typ != "":
		return nil, &DeploymentError{Kind: fault.NotFound, Code: "unknown_function", Message: fmt.Sprintf("no %s %q is deployed for integration %s", typ, name, integrationKey)}
	case len(match) == 0:
		return nil, &DeploymentError{Kind: fault.NotFound, Code: "unknown_function", Message: fmt.Sprintf("no function %q is deployed for integration %s", name, integrationKey)}
	case len(match) > 1:
		return nil, &DeploymentError{Kind: fault.Conflict, Code: "ambiguous_function", Field: "type",
			Message: fmt.Sprintf("%d functions named %q are deployed for integration %s; type says which", len(match), name, integrationKey)}
	}
	dep := match[0]
	remove := func(ctx context.Context) error {
		err := s.o.Deployments.Delete(ctx, environmentID, integrationKey, dep.Type, name)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete deployment %s %s/%s: %w", dep.Type, integrationKey, name, err)
		}
		// Not found: a concurrent undeploy removed it first, which is
		// what was asked.
		return nil
	}
	if dep.Type == "sync" && s.o.UndeploySync != nil {
		err = s.o.UndeploySync(ctx, dep, remove)
	} else {
		err = remove(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("undeploy %s %s/%s: %w", dep.Type, integrationKey, name, err)
	}
	s.o.Logger.InfoContext(ctx, "function undeployed", "integration", integrationKey, "function", name, "type", dep.Type)
	return dep, nil
}

// DeploymentError is a refused deploy or undeploy: nothing deployed
// under the name, a name that needs its type, prune with named
// functions; Field names the member or query parameter at fault.
type DeploymentError = fault.Error

// Deployments lists an environment's deployed functions.
func (s *Service) Deployments(ctx context.Context, environmentID string) ([]*store.Deployment, error) {
	return s.o.Deployments.List(ctx, environmentID, "")
}

// DryrunRequest runs a function from source against a real connection
// without storing what it produces (POST /functions/dryrun).
type DryrunRequest struct {
	EnvironmentID   string
	EnvironmentName string
	Files           map[string]string
	// Function is "<integration>/<name>" or a bare name.
	Function string
	// IntegrationKey is the connection's integration; empty means the
	// function's folder name.
	IntegrationKey string
	ConnectionID   string
	Input          json.RawMessage
	// Metadata and Checkpoint replace the connection's for the run.
	Metadata      map[string]any
	Checkpoint    map[string]any
	LastSyncDate  string
	SaveResponses bool
}

// Dryrun compiles and runs one function. The function's own failure is
// part of the result (Error), not an error.
func (s *Service) Dryrun(ctx context.Context, req DryrunRequest) (*functions.DryrunResult, error) {
	if err := functions.CheckFiles(req.Files); err != nil {
		return nil, err
	}
	refs, err := functions.Discover(req.Files)
	if err != nil {
		return nil, &functions.DeployError{Code: "invalid_body", Message: err.Error(), Field: "files"}
	}
	ref, err := functions.Find(refs, req.Function)
	if err != nil {
		return nil, &functions.DeployError{Code: "unknown_function", Message: err.Error(), Field: "function"}
	}
	bundle, def, err := functions.Build(ctx, s.o.Runtime, req.Files, ref)
	if err != nil {
		return nil, err
	}
	integration := req.IntegrationKey
	if integration == "" {
		integration = ref.Integration
	}
	conn, err := s.o.Connections.Get(ctx, req.EnvironmentID, integration, req.ConnectionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: fault.NotFound, Code: "unknown_connection", Message: fmt.Sprintf("no connection %s for integration %s", req.ConnectionID, integration)}
	}
	if err != nil {
		return nil, fmt.Errorf("connection %s: %w", req.ConnectionID, err)
	}
	es := s.settings(ctx, req.EnvironmentID, integration)
	limits := es.limits
	kind := functions.KindAction
	switch def.Type {
	case "sync":
		kind, limits.Timeout = functions.KindSync, functions.DefaultSyncTimeout
	case "on-event":
		kind, limits.Timeout = functions.KindEvent, functions.DefaultWebhookTimeout
	}
	release, err := s.o.Limiter.Acquire(ctx, req.EnvironmentID, integration+"\x00"+req.ConnectionID, es.perConnection)
	if err != nil {
		return nil, err
	}
	defer release()
	executionID := uuid.NewString()
	inner := serverhost.New(s.o.Host, serverhost.Target{
		EnvironmentID: req.EnvironmentID, IntegrationKey: integration, ConnectionID: req.ConnectionID,
		Function: ref.FullName() + " (dry run)", ExecutionID: executionID,
	})
	defer func() { _ = inner.ReleaseAllLocks(context.WithoutCancel(ctx)) }()
	capture := functions.NewCapture(inner, req.Metadata, req.Checkpoint, req.SaveResponses)
	start := time.Now()
	out, err := s.o.Runtime.Run(ctx, &functions.Execution{
		Bundle: bundle, Kind: kind, Input: req.Input, Host: capture,
		Limits: limits, Validation: es.validation,
		Info: functions.Info{
			Name: ref.Name, ConnectionID: req.ConnectionID, ProviderConfigKey: integration, Provider: conn.Provider,
			EnvironmentName: req.EnvironmentName, LastSyncDate: req.LastSyncDate,
		},
	})
	var f *functions.Failure
	if err != nil && !errors.As(err, &f) {
		return nil, fmt.Errorf("dry run %s: %w", ref.FullName(), err)
	}
	capture.Finish(out, err, time.Since(start))
	res := capture.Result()
	return &res, nil
}
