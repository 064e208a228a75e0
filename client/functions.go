package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/patchbay/patchbay/wire"
)

// DeployResult is the answer of POST /functions/deploy.
type DeployResult = wire.DeployResult

// DeployedFunction is one function a deploy compiled and stored.
type DeployedFunction = wire.Deployed

// CompileError is a deploy or dry run the server refused because the
// functions do not compile (400 compile_error). Each position names a
// file, line and column. errors.As also finds the *Error it came as.
type CompileError struct {
	Message string
	Errors  []CompilePosition
	apiErr  *Error
}

// CompilePosition is one compiler diagnostic; its String method formats
// it as "file:line:col: message".
type CompilePosition = wire.Position

func (e *CompileError) Error() string {
	parts := make([]string, 0, len(e.Errors)+1)
	parts = append(parts, "patchbay: compile error: "+e.Message)
	for _, p := range e.Errors {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "\n")
}

// Unwrap returns the *Error the server answered with.
func (e *CompileError) Unwrap() error { return e.apiErr }

// DeployFunctions compiles and deploys functions from a project's files
// (paths relative to the project root with forward slashes → contents):
// the functions named "<integration>/<name>", or all of them when
// functions is empty. Compile errors are a *CompileError.
func (c *Client) DeployFunctions(ctx context.Context, files map[string]string, functions []string) (*DeployResult, error) {
	return c.DeployFunctionsWith(ctx, files, DeployOptions{Functions: functions})
}

// DeployOptions adjusts DeployFunctionsWith.
type DeployOptions struct {
	// Functions names the functions to deploy ("<integration>/<name>");
	// empty deploys the whole project.
	Functions []string
	// Prune removes, after a deploy of the whole project, the deployed
	// functions the files no longer have (DeployResult.Removed); without
	// it they are listed (NotInProject) and kept. A removed sync's
	// records go with it.
	Prune bool
}

// DeployFunctionsWith is DeployFunctions with options.
func (c *Client) DeployFunctionsWith(ctx context.Context, files map[string]string, o DeployOptions) (*DeployResult, error) {
	body := struct {
		Files     map[string]string `json:"files"`
		Functions []string          `json:"functions,omitempty"`
		Prune     bool              `json:"prune,omitempty"`
	}{files, o.Functions, o.Prune}
	var out DeployResult
	if err := c.sendFunctions(ctx, "/functions/deploy", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DryrunRequest runs one function against a connection without storing
// anything (POST /functions/dryrun).
type DryrunRequest struct {
	// Files are the project's files, as for DeployFunctions.
	Files map[string]string `json:"files"`
	// Function is "<integration>/<name>".
	Function string `json:"function"`
	// Integration is the integration key the connection belongs to;
	// empty means the function's folder name.
	Integration  string `json:"integration,omitempty"`
	ConnectionID string `json:"connection_id"`
	// Input is an action's input (JSON).
	Input json.RawMessage `json:"input,omitempty"`
	// Metadata, when set, replaces the connection's metadata for the run.
	Metadata map[string]any `json:"metadata,omitempty"`
	// Checkpoint, when set, is the sync's checkpoint at the start.
	Checkpoint map[string]any `json:"checkpoint,omitempty"`
	// LastSyncDate is RFC 3339; empty means a first run.
	LastSyncDate string `json:"last_sync_date,omitempty"`
	// SaveResponses asks for every request and response in Calls.
	SaveResponses bool `json:"save_responses,omitempty"`
}

// DryrunResponse is what a dry run did. A function that failed still
// answers 200: Error is set then.
type DryrunResponse = wire.DryrunResult

// DryrunFailure is how a function failed: Type is action_error,
// script_http_error, invalid_input, invalid_output, script_error,
// timeout, memory or host_error.
type DryrunFailure = wire.Failure

// DryrunLog is one line the function logged.
type DryrunLog = wire.LogLine

// DryrunRecords is one call of a record method (batchSave, batchUpdate,
// batchDelete, trackDeletesStart, …).
type DryrunRecords = wire.RecordOp

// DryrunCall is one request the function made and its answer.
type DryrunCall = wire.Call

// DryrunFunction runs a function once against a connection and reports
// what it did. Compile errors are a *CompileError; a function that ran
// and failed is a response with Error set, not an error.
func (c *Client) DryrunFunction(ctx context.Context, req DryrunRequest) (*DryrunResponse, error) {
	if req.Function == "" {
		return nil, errors.New("patchbay: dry run: the function must not be empty")
	}
	if req.ConnectionID == "" {
		return nil, errors.New("patchbay: dry run: the connection id must not be empty")
	}
	var out DryrunResponse
	if err := c.sendFunctions(ctx, "/functions/dryrun", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Undeployed is the answer of UndeployFunction: the function removed.
type Undeployed = wire.Undeployed

// UndeployFunction removes the function deployed as name in an
// integration (DELETE /functions/{integration}/{name}). A sync's
// instances stop and its records are deleted. typ ("action", "sync",
// "on-event") picks among functions of different types sharing the name;
// "" means whichever is deployed. Nothing deployed under the name yields
// an *Error for which IsNotFound reports true.
func (c *Client) UndeployFunction(ctx context.Context, integrationKey, name, typ string) (*Undeployed, error) {
	integ, err := segment("integration unique key", integrationKey)
	if err != nil {
		return nil, err
	}
	fn, err := segment("function name", name)
	if err != nil {
		return nil, err
	}
	r := request{method: http.MethodDelete, path: "/functions/" + integ + "/" + fn}
	if typ != "" {
		r.query = url.Values{"type": {typ}}
	}
	var out Undeployed
	if err := c.send(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// sendFunctions posts body to path and decodes a 2xx answer into out; a
// compile_error answer is a *CompileError (see send), any other an *Error.
func (c *Client) sendFunctions(ctx context.Context, path string, body, out any) error {
	return c.send(ctx, request{method: http.MethodPost, path: path, body: body}, out)
}

func compileError(apiErr *Error, body []byte) *CompileError {
	var wire struct {
		Error struct {
			Positions []CompilePosition `json:"positions"`
		} `json:"error"`
	}
	// The positions are best effort: the status, code and message stand
	// without them.
	_ = json.Unmarshal(body, &wire)
	// The field errors newError read are these positions seen as field
	// errors; the typed error carries them instead.
	apiErr.Errors = nil
	return &CompileError{Message: apiErr.Message, Errors: wire.Error.Positions, apiErr: apiErr}
}
