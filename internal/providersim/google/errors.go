package google

import (
	"net/http"
	"slices"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// apiError is the body of every Google API error: {"error": {...}}. Which
// fields appear depends on the API's generation: Sheets answers with code,
// message and status; Calendar with code, message and an errors list;
// Gmail with all three.
type apiError struct {
	Code    int         `json:"code"`
	Message string      `json:"message"`
	Errors  []errorItem `json:"errors,omitempty"`
	Status  string      `json:"status,omitempty"`
	Details []any       `json:"details,omitempty"`
}

// errorItem is one entry of the legacy errors list.
type errorItem struct {
	Message      string `json:"message"`
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Location     string `json:"location,omitempty"`
	LocationType string `json:"locationType,omitempty"`
}

// style is an API's error shape.
type style struct {
	service    string // e.g. sheets.googleapis.com, for error details
	errorsList bool
	status     bool
}

var (
	sheetsStyle   = style{service: "sheets.googleapis.com", status: true}
	calendarStyle = style{service: "calendar-json.googleapis.com", errorsList: true}
	gmailStyle    = style{service: "gmail.googleapis.com", errorsList: true, status: true}
	userinfoStyle = style{service: "oauth2.googleapis.com", status: true}
)

// canonicalStatus is the google.rpc.Code name Google puts beside an HTTP
// status.
func canonicalStatus(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "ALREADY_EXISTS"
	case http.StatusPreconditionFailed:
		return "FAILED_PRECONDITION"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	default:
		return "INTERNAL"
	}
}

// writeError answers with an error in st's shape.
func writeError(w http.ResponseWriter, st style, code int, reason, message string) {
	e := apiError{Code: code, Message: message}
	if st.errorsList {
		e.Errors = []errorItem{{Message: message, Domain: "global", Reason: reason}}
	}
	if st.status {
		e.Status = canonicalStatus(code)
	}
	writeAPIError(w, e)
}

func writeAPIError(w http.ResponseWriter, e apiError) {
	sim.WriteJSON(w, e.Code, map[string]any{"error": e})
}

// Messages Google's front end answers unauthenticated calls with.
const (
	msgMissingCredentials = "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	msgInvalidCredentials = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)

// authenticate checks the bearer token and that it carries one of the
// accepted scopes. On failure it has answered 401 or 403 in st's shape.
// Tokens minted without any scope (the control API's) pass every scope
// check, so tests can skip the consent dance.
func (p *Provider) authenticate(w http.ResponseWriter, r *http.Request, st style, accepted []string) (*sim.Grant, bool) {
	g, aerr := p.s.OAuth.Authenticate(r, Name)
	if aerr != nil {
		sim.Annotate(r, "auth", aerr.Reason)
		e := apiError{Code: http.StatusUnauthorized, Message: msgInvalidCredentials, Status: "UNAUTHENTICATED"}
		item := errorItem{Message: "Invalid Credentials", Domain: "global", Reason: "authError", Location: "Authorization", LocationType: "header"}
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		if aerr.Reason == "missing" {
			e.Message = msgMissingCredentials
			item = errorItem{Message: "Login Required.", Domain: "global", Reason: "required", Location: "Authorization", LocationType: "header"}
			w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
		}
		if st.errorsList {
			e.Errors = []errorItem{item}
		}
		writeAPIError(w, e)
		return nil, false
	}
	if len(g.Scopes) == 0 || len(accepted) == 0 {
		return g, true
	}
	for _, s := range g.Scopes {
		if slices.Contains(accepted, canonicalScope(s)) {
			return g, true
		}
	}
	sim.Annotate(r, "auth", "insufficient_scope")
	w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="`+accepted[0]+`"`)
	e := apiError{
		Code:    http.StatusForbidden,
		Message: "Request had insufficient authentication scopes.",
		Status:  "PERMISSION_DENIED",
		Details: []any{map[string]any{
			"@type":    "type.googleapis.com/google.rpc.ErrorInfo",
			"reason":   "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
			"domain":   "googleapis.com",
			"metadata": map[string]string{"service": st.service},
		}},
	}
	if st.errorsList {
		e.Errors = []errorItem{{Message: "Insufficient Permission", Domain: "global", Reason: "insufficientPermissions"}}
	}
	writeAPIError(w, e)
	return nil, false
}
