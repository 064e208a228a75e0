// Package httperr is the one table from a failure's kind to the HTTP
// status Patchbay answers with. internal/api uses it for every response;
// the functions host uses it for the status a function sees on a refused
// nango.proxy call, which must be the status the API would answer.
package httperr

import (
	"net/http"

	"github.com/patchbay/patchbay/internal/fault"
)

var statuses = map[fault.Kind]int{
	fault.Internal:         http.StatusInternalServerError,
	fault.Invalid:          http.StatusBadRequest,
	fault.NotFound:         http.StatusNotFound,
	fault.Conflict:         http.StatusConflict,
	fault.Unauthenticated:  http.StatusUnauthorized,
	fault.Forbidden:        http.StatusForbidden,
	fault.DependencyFailed: http.StatusFailedDependency,
	fault.Unsupported:      http.StatusNotImplemented,
	fault.Upstream:         http.StatusBadGateway,
	fault.Unavailable:      http.StatusServiceUnavailable,
	fault.TooLarge:         http.StatusRequestEntityTooLarge,
}

// Status is the HTTP status of a failure of kind k.
func Status(k fault.Kind) int {
	if s, ok := statuses[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Code is the wire error code of a failure: the domain's own code, or,
// for an invalid member of the input that has none, invalid_body (a
// handler whose input came from the query or the headers says so; see
// internal/api).
func Code(k fault.Kind, code string) string {
	if code != "" {
		return code
	}
	if c, ok := codes[k]; ok {
		return c
	}
	return "server_error"
}

var codes = map[fault.Kind]string{
	fault.Invalid:          "invalid_body",
	fault.NotFound:         "not_found",
	fault.Conflict:         "conflict",
	fault.Unauthenticated:  "unauthorized",
	fault.Forbidden:        "forbidden",
	fault.DependencyFailed: "failed_dependency",
	fault.Unsupported:      "not_implemented",
	fault.Upstream:         "bad_gateway",
	fault.Unavailable:      "unavailable",
	fault.TooLarge:         "payload_too_large",
}
