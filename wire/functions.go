package wire

import (
	"encoding/json"
	"fmt"
	"time"
)

// DeployResult is the answer of POST /functions/deploy.
type DeployResult struct {
	Deployed []Deployed `json:"deployed"`
	// NotInProject, after a deploy of the whole project, are the
	// functions deployed in the environment that the project no longer
	// has (removed, renamed, or exporting another type now). They stay
	// deployed unless the deploy asked to prune them.
	NotInProject []Undeployed `json:"not_in_project,omitempty"`
	// Removed are those a deploy with prune removed (NotInProject is then
	// empty).
	Removed []Undeployed `json:"removed,omitempty"`
}

// Deployed is one function a deploy compiled and stored.
type Deployed struct {
	Integration string `json:"integration"`
	Name        string `json:"name"`
	// Type is "action", "sync" or "on-event": what the file exports.
	Type string `json:"type"`
	// Entry is the file it was built from. Its folder may say another
	// type than Type (a sync in actions/, which Nango allows).
	Entry   string `json:"entry,omitempty"`
	Version string `json:"version"`
	// SourceHash identifies the sources the function was built from.
	SourceHash string `json:"source_hash"`
	// Changed is false when the same sources and version were already
	// live.
	Changed bool `json:"changed"`
}

// Undeployed is the answer of DELETE /functions/{integration}/{name}:
// the function removed.
type Undeployed struct {
	Integration string `json:"integration"`
	Name        string `json:"name"`
	// Type is "action", "sync" or "on-event": what the file exports.
	Type string `json:"type"`
	// Entry is the file it was built from. Its folder may say another
	// type than Type (a sync in actions/, which Nango allows).
	Entry   string `json:"entry,omitempty"`
	Version string `json:"version"`
}

// Position is one compiler diagnostic: the members of a compile_error's
// "positions".
type Position struct {
	File    string `json:"file"`
	Line    int    `json:"line"`   // 1-based; 0 when unknown
	Column  int    `json:"column"` // 1-based; 0 when unknown
	Message string `json:"message"`
	// LineText is the source line, for display.
	LineText string `json:"line_text,omitempty"`
}

// String formats p as "file:line:col: message".
func (p Position) String() string {
	switch {
	case p.File == "":
		return p.Message
	case p.Line == 0:
		return fmt.Sprintf("%s: %s", p.File, p.Message)
	default:
		return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Message)
	}
}

// DryrunResult is the answer of POST /functions/dryrun: what a dry run
// did. A function that failed still answers 200, with Error set.
type DryrunResult struct {
	Output json.RawMessage `json:"output,omitempty"`
	Error  *Failure        `json:"error,omitempty"`
	Logs   []LogLine       `json:"logs"`
	// Records are the record-method calls in order.
	Records []RecordOp `json:"records"`
	// Checkpoints are the checkpoints saved, in order (nil: cleared).
	Checkpoints []map[string]any `json:"checkpoints"`
	// Metadata is the connection's metadata after the run when the
	// function changed it (a dry run does not save it).
	Metadata   map[string]any `json:"metadata,omitempty"`
	Calls      []Call         `json:"calls,omitempty"`
	DurationMs float64        `json:"duration_ms"`
}

// Failure is how a function failed: Type is action_error (the function
// threw ActionError), script_http_error (a provider's error response went
// uncaught), invalid_input, invalid_output, script_error (anything else
// thrown), timeout, memory or host_error.
type Failure struct {
	Type    string          `json:"type"`
	Message string          `json:"message"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (f *Failure) Error() string { return f.Type + ": " + f.Message }

// LogLine is one line a function logged.
type LogLine struct {
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
}

// RecordOp is one call of a sync's record methods (batchSave,
// batchUpdate, batchDelete, trackDeletesStart, …).
type RecordOp struct {
	Op      string            `json:"op"`
	Model   string            `json:"model"`
	Records []json.RawMessage `json:"records,omitempty"`
	// Invalid counts the records of the call that were skipped: without
	// an id, or refused by the model's schema.
	Invalid int `json:"invalid,omitempty"`
}

// Call is one request a function made and the answer it got. Paginated
// requests record each page.
type Call struct {
	Method   string            `json:"method"`
	Endpoint string            `json:"endpoint"`
	Params   map[string]string `json:"params,omitempty"`
	Data     json.RawMessage   `json:"data,omitempty"`
	Headers  map[string]string `json:"headers,omitempty"`
	Status   int               `json:"status"`
	// Response is the body: JSON when it parses as JSON, else a JSON
	// string.
	Response        json.RawMessage   `json:"response"`
	ResponseHeaders map[string]string `json:"response_headers,omitempty"`
}
