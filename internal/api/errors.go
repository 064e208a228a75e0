package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/patchbay/patchbay/internal/actions"
	"github.com/patchbay/patchbay/internal/api/httperr"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/store"
)

// apiError is an error response in Nango's shape:
// {"error":{"code":…,"message":…,"errors":[{"code","message","path"}]}}.
// A failed action adds its payload (Nango's), a compile error its
// positions.
type apiError struct {
	status    int
	Code      string               `json:"code"`
	Message   string               `json:"message"`
	Errors    []fieldError         `json:"errors,omitempty"`
	Payload   json.RawMessage      `json:"payload,omitempty"`
	Type      string               `json:"type,omitempty"`
	Positions []functions.Position `json:"positions,omitempty"`
}

// actionError renders a refused or failed action: invalid input as zod's
// issues under errors, a failure with its type and payload.
func actionError(e *actions.Error) *apiError {
	ae := &apiError{status: httperr.Status(e.Kind), Code: e.Code, Message: e.Message}
	if f := e.Failure; f != nil {
		ae.Type, ae.Payload = f.Type, f.Payload
		if f.Type == "invalid_input" {
			var p struct {
				Issues []struct {
					Code    string `json:"code"`
					Message string `json:"message"`
					Path    []any  `json:"path"`
				} `json:"issues"`
			}
			if json.Unmarshal(f.Payload, &p) == nil {
				for _, is := range p.Issues {
					path := append([]any{"input"}, is.Path...)
					ae.Errors = append(ae.Errors, fieldError{Code: is.Code, Message: is.Message, Path: path})
				}
			}
		}
	}
	return ae
}

// deployError renders a refused deploy or dry run: compile errors with
// file, line and column; others naming the file or member at fault.
func deployError(e *functions.DeployError) *apiError {
	ae := &apiError{status: httperr.Status(e.FaultKind()), Code: e.Code, Message: e.Message, Positions: e.Positions}
	for _, p := range e.Positions {
		ae.Errors = append(ae.Errors, fieldError{Code: e.Code, Message: p.String(), Path: []any{"files", p.File}})
	}
	if e.Field != "" {
		path := []any{}
		for _, seg := range strings.SplitN(e.Field, ".", 2) {
			path = append(path, seg)
		}
		ae.Errors = append(ae.Errors, fieldError{Code: e.Code, Message: e.Message, Path: path})
	}
	return ae
}

type fieldError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalidBody(errs ...fieldError) *apiError {
	msg := "the request body is invalid"
	if len(errs) == 1 {
		msg = fmt.Sprintf("%s: %s", pathString(errs[0].Path), errs[0].Message)
	}
	return &apiError{status: http.StatusBadRequest, Code: "invalid_body", Message: msg, Errors: errs}
}

func pathString(path []any) string {
	if len(path) == 0 {
		return "body"
	}
	s := ""
	for i, p := range path {
		if i > 0 {
			s += "."
		}
		s += fmt.Sprint(p)
	}
	return s
}

// writeJSON sends v with status. Encoding errors can only come from a broken
// connection at this point, so they are not reported to the client.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError is the single place that turns a domain error into an HTTP
// status and a Nango error code. Anything it does not recognise is a 500
// whose details go to the log, not to the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var problems interface{ FieldProblems() fault.Problems }
	// Every domain error but the two rendered with more than a message
	// (actions', deploys') says what to tell the caller the same way.
	var domain interface{ Fault() fault.Detail }
	var actionErr *actions.Error
	var deployErr *functions.DeployError
	var docErr *store.DocumentError
	var unreadable *store.UnreadableError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &actionErr):
		ae = actionError(actionErr)
		ae.Code = wireCode(err, actionErr.Kind, actionErr.Code)
	case errors.As(err, &deployErr):
		ae = deployError(deployErr)
	case errors.As(err, &domain):
		d := domain.Fault()
		ae = &apiError{status: httperr.Status(d.Kind), Code: wireCode(err, d.Kind, d.Code), Message: d.Message}
		if len(d.Field) > 0 {
			ae.Errors = []fieldError{{Code: ae.Code, Message: d.Message, Path: d.Field}}
		}
		if ae.status >= 500 {
			s.logger.WarnContext(r.Context(), "request failed at a dependency", "method", r.Method, "path", r.URL.Path, "code", ae.Code, "err", err)
		}
	case errors.As(err, &problems):
		ps := problems.FieldProblems()
		errs := make([]fieldError, len(ps))
		for i, p := range ps {
			path := make([]any, len(p.Path)) // [] rather than null for the whole body
			copy(path, p.Path)
			errs[i] = fieldError{Code: p.Code, Message: p.Message, Path: path}
		}
		ae = invalidBody(errs...)
	case errors.As(err, &docErr):
		// A document the edge let through (a merge that grew past its cap)
		// and the store refused; it named the document, which is also the
		// body member.
		ae = invalidBody(fieldError{Code: docErr.Code, Message: docErr.Message, Path: append([]any{docErr.Doc}, docErr.Path...)})
	case errors.As(err, &unreadable):
		s.logger.ErrorContext(r.Context(), "stored row cannot be read", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = newError(http.StatusInternalServerError, "unreadable_data", "%s", unreadableMessage(unreadable))
	case errors.Is(err, store.ErrNotFound):
		ae = newError(http.StatusNotFound, "not_found", "%s", notFoundMessage(r))
	case errors.Is(err, store.ErrConflict):
		ae = newError(http.StatusConflict, "conflict", "an integration with this unique_key already exists in this environment")
		ae.Errors = []fieldError{{Code: "conflict", Message: "is already used by another integration", Path: []any{"unique_key"}}}
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer.
		return
	default:
		s.logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = newError(http.StatusInternalServerError, "server_error", "an internal error occurred; the server log has details")
	}
	writeJSON(w, ae.status, map[string]any{"error": ae})
}

// input says where the input a domain error is about came from, when it
// was not the request body: a handler wraps the error of a call whose
// input it took from the query or the headers (inQuery, inHeader).
type input struct {
	err  error
	code string
}

func (e *input) Error() string { return e.err.Error() }
func (e *input) Unwrap() error { return e.err }

// inQuery marks err as about the query string: an invalid member is
// invalid_query_params.
func inQuery(err error) error { return &input{err: err, code: "invalid_query_params"} }

// inHeader marks err as about the request headers: an invalid member is
// invalid_header.
func inHeader(err error) error { return &input{err: err, code: "invalid_header"} }

// wireCode is Nango's code for a domain error of kind k with the domain's
// code: the domain's own when it has one, else the kind's
// (httperr.Code), where an invalid member of the query or the headers
// (see input) has its own.
func wireCode(err error, k fault.Kind, code string) string {
	var in *input
	if code == "" && k == fault.Invalid && errors.As(err, &in) {
		return in.code
	}
	return httperr.Code(k, code)
}

// unreadableMessage tells the client what cannot be read and, for a
// connection, the way out; the details (which may quote the data) go to
// the log only.
func unreadableMessage(e *store.UnreadableError) string {
	const why = "it was written by an older version of Patchbay or changed outside it"
	switch e.Table {
	case "connections":
		return fmt.Sprintf("the connection's stored %s cannot be read (%s); delete the connection and create it again", e.Column, why)
	case "integrations":
		return fmt.Sprintf("the integration's stored %s cannot be read (%s); delete the integration and create it again", e.Column, why)
	}
	return fmt.Sprintf("stored data (%s.%s) cannot be read (%s); the server log has details", e.Table, e.Column, why)
}

func notFoundMessage(r *http.Request) string {
	if key := r.PathValue("key"); key != "" {
		return fmt.Sprintf("integration %q not found", key)
	}
	if p := r.PathValue("provider"); p != "" {
		return fmt.Sprintf("provider %q not found", p)
	}
	return "not found"
}

// logAttr keeps slog attributes in one style for request logs.
func logAttr(r *http.Request, status int) []any {
	return []any{slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", status)}
}
