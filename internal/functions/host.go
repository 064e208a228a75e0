package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/patchbay/patchbay/internal/api/httperr"
	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/fault"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/wire"
)

// Host is what a running function's nango object reaches. Every call acts
// for the execution's own connection; an implementation serves one
// execution. The server's host goes through the proxy and the store;
// `patchbay dryrun` and `patchbay test` have their own (a remote Patchbay,
// recorded fixtures), which is why this is an interface.
//
// Methods run in goroutines of their own while the function's JavaScript
// goes on (each is an awaited promise there), so an implementation must be
// safe for concurrent use; an ImmediateHost's are made in line.
type Host interface {
	// Proxy makes one request to the provider. A provider's error status
	// is a response, not an error.
	Proxy(ctx context.Context, req *HTTPRequest) (*HTTPResponse, error)
	// Paginate runs the provider's pagination (cfg merged over the
	// provider's proxy.paginate), limit records per page (0: default).
	// A page the provider refuses ends it with a *PageError.
	Paginate(ctx context.Context, req *HTTPRequest, cfg *catalog.PaginateConfig, limit int) iter.Seq2[*Page, error]
	// Connection returns the connection in the shape of Nango's
	// getConnection (credentials included).
	Connection(ctx context.Context) (map[string]any, error)
	// Token returns what Nango's getToken does: the access token for
	// OAuth, the key for API_KEY, {username, password} for BASIC, …
	Token(ctx context.Context) (any, error)
	Metadata(ctx context.Context) (map[string]any, error)
	// SetMetadata replaces the connection's metadata, or merges into it
	// when merge is set.
	SetMetadata(ctx context.Context, metadata map[string]any, merge bool) error
	// Checkpoint returns the saved checkpoint, nil if none.
	Checkpoint(ctx context.Context) (map[string]any, error)
	// SaveCheckpoint saves checkpoint; nil clears it.
	SaveCheckpoint(ctx context.Context, checkpoint map[string]any) error
	EnvironmentVariables(ctx context.Context) ([]store.EnvironmentVariable, error)
	TryAcquireLock(ctx context.Context, key string, ttl time.Duration) (bool, error)
	ReleaseLock(ctx context.Context, key string) (bool, error)
	ReleaseAllLocks(ctx context.Context) error
	// Records carries the sync-only record methods (batchSave, …).
	Records(ctx context.Context, op *RecordOp) error
	// RecordsByIDs returns the stored, not deleted records of model with
	// these ids (getRecordsByIds), in no particular order.
	RecordsByIDs(ctx context.Context, model string, ids []string) ([]json.RawMessage, error)
	// Log records one line the function logged. It is called on the
	// VM's goroutine and must not block.
	Log(level, message string)
}

// An ImmediateHost answers from memory (a fixture's host, in tests): its
// methods return at once and never wait on anything. The event loop
// calls them in line, on the execution's own goroutine, where it gives
// another host's calls goroutines of their own: with every core running
// an interpreter, a goroutine waits for the scheduler's next turn, some
// milliseconds, before it answers, and a test making hundreds of calls
// would spend seconds waiting. Timers (nango's sleep) still run apart.
type ImmediateHost interface {
	Host
	// Immediate says the host's methods return at once.
	Immediate() bool
}

// immediate says whether h's calls are made in line.
func immediate(h Host) bool {
	ih, ok := h.(ImmediateHost)
	return ok && ih.Immediate()
}

// HTTPRequest is a request as a function's nango.get/post/…/proxy/paginate
// configuration describes it.
type HTTPRequest struct {
	Method   string            `json:"method"`
	Endpoint string            `json:"endpoint"`
	Headers  map[string]string `json:"headers,omitempty"`
	Params   map[string]string `json:"params,omitempty"`
	// One of JSON (an object or array sent as application/json), Body
	// (a string sent as is) and BodyBase64 (bytes).
	JSON            json.RawMessage `json:"json,omitempty"`
	Body            *string         `json:"body,omitempty"`
	BodyBase64      string          `json:"bodyBase64,omitempty"`
	Retries         int             `json:"retries,omitempty"`
	RetryOn         []int           `json:"retryOn,omitempty"`
	BaseURLOverride string          `json:"baseUrlOverride,omitempty"`
	Decompress      bool            `json:"decompress,omitempty"`
	// ResponseType "arraybuffer" hands the body to the function as bytes.
	ResponseType string `json:"responseType,omitempty"`
	// ProviderConfigKey and ConnectionID, when set, must name the
	// execution's own connection: a function reaches no other.
	ProviderConfigKey string `json:"providerConfigKey,omitempty"`
	ConnectionID      string `json:"connectionId,omitempty"`
}

// HTTPResponse is a provider's answer handed to the function.
type HTTPResponse struct {
	Status  int
	Headers map[string]string
	Body    []byte
	// Recorded marks an answer replayed from a test fixture, handed over
	// as Nango's test mocks do: Body is the JSON text of the recorded
	// value, which the function gets as that value whatever the content
	// type, and an error status is returned to the function as
	// {data, status} rather than thrown.
	Recorded bool
	// Binary, with Recorded, says Body holds bytes (a recorded Buffer),
	// handed over as a Buffer.
	Binary bool
}

// Page is one page of a nango.paginate run.
type Page struct {
	// Data is what the function's loop receives: the page's records (the
	// value at response_path), or for link pagination whatever is there;
	// nil when nothing is.
	Data json.RawMessage
	// Next is on_page's nextPageParam (nil: none); OnPage says whether
	// on_page is called after this page, as Nango's runtime does.
	Next   any
	OnPage bool
	// Response is the provider's answer, on_page's response.
	Response *HTTPResponse
}

// PageError is a page of a nango.paginate run the provider refused: the
// function receives it as nango.proxy's errors (error.status,
// error.response.status, error.response.data).
type PageError struct {
	Response *HTTPResponse
	Err      error
}

func (e *PageError) Error() string { return e.Err.Error() }
func (e *PageError) Unwrap() error { return e.Err }

// Record operations of syncs.
const (
	RecordsSave              = "batchSave"
	RecordsUpdate            = "batchUpdate"
	RecordsDelete            = "batchDelete"
	RecordsTrackDeletesStart = "trackDeletesStart"
	RecordsTrackDeletesEnd   = "trackDeletesEnd"
	RecordsDeletePrevious    = "deleteRecordsFromPreviousExecutions"
	// RecordsSetMerging carries setMergingStrategy: Records holds the
	// strategy's name as a JSON string.
	RecordsSetMerging = "setMergingStrategy"
)

// RecordOp is one call of a sync's record methods.
type RecordOp = wire.RecordOp

// HostError is a refusal a host reports to the function (it becomes a
// thrown NangoError with this code), as opposed to an internal failure.
// Kind says what went wrong; the function sees it as the HTTP status
// Patchbay's API would answer with (httperr's one table), none for an
// internal failure.
type HostError struct {
	Kind    fault.Kind
	Code    string
	Message string
}

func (e *HostError) Error() string { return e.Message }

// FaultKind says what kind of failure e is.
func (e *HostError) FaultKind() fault.Kind { return e.Kind }

// MarshalJSON is the error as the sandbox receives it: {code, message,
// status}.
func (e *HostError) MarshalJSON() ([]byte, error) {
	out := struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Status  int    `json:"status,omitempty"`
	}{Code: e.Code, Message: e.Message}
	if e.Kind != fault.Internal {
		out.Status = httperr.Status(e.Kind)
	}
	return json.Marshal(out)
}

// ErrNotInSync is what hosts answer to record and checkpoint methods
// outside a sync.
var ErrNotInSync = &HostError{Kind: fault.Invalid, Code: "not_in_sync", Message: "this method is available in syncs only"}

// ForeignConnection refuses a request that names another connection than
// the execution's.
func ForeignConnection(integrationKey, connectionID string) *HostError {
	return &HostError{
		Code:    "connection_not_allowed",
		Message: fmt.Sprintf("a function can reach only the connection it runs for, not %s/%s", integrationKey, connectionID),
		Kind:    fault.Forbidden,
	}
}

// hostErrorInfo is what the JavaScript side receives for a failed
// operation: HostErrors as they are, anything else as a generic failure
// whose message is the error's (host errors carry no secrets).
func hostErrorInfo(err error) *HostError {
	var he *HostError
	if errors.As(err, &he) {
		return he
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &HostError{Code: "cancelled", Message: "the execution ended before the operation finished"}
	}
	return &HostError{Code: "host_error", Message: err.Error()}
}
