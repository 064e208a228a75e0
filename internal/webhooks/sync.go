package webhooks

import (
	"context"
	"time"

	"github.com/patchbay/patchbay/internal/syncs"
)

// SyncPayload is Nango's "sync" webhook: one per model a run changed, or
// one for a failed run.
type SyncPayload struct {
	Type              string              `json:"type"`
	From              string              `json:"from"`
	ConnectionID      string              `json:"connectionId"`
	ProviderConfigKey string              `json:"providerConfigKey"`
	SyncName          string              `json:"syncName"`
	SyncVariant       string              `json:"syncVariant"`
	Model             string              `json:"model"`
	ResponseResults   *SyncResponseResult `json:"responseResults,omitempty"`
	SyncType          string              `json:"syncType"`
	ModifiedAfter     string              `json:"modifiedAfter"`
	// QueryTimeStamp is Nango's older name of ModifiedAfter.
	QueryTimeStamp string          `json:"queryTimeStamp"`
	Success        bool            `json:"success"`
	Error          *AuthErrorField `json:"error,omitempty"`
	StartedAt      string          `json:"startedAt,omitempty"`
	FailedAt       string          `json:"failedAt,omitempty"`
	// InvalidRecords counts the model's records the run skipped as
	// invalid: Patchbay's addition, left out when none, so the body is
	// Nango's unless there were some (receivers ignore members they do
	// not know).
	InvalidRecords int `json:"invalidRecords,omitempty"`
}

// SyncResponseResult counts a model's changes.
type SyncResponseResult struct {
	Added   int `json:"added"`
	Updated int `json:"updated"`
	Deleted int `json:"deleted"`
}

// SyncEvents turns finished sync runs into "sync" webhooks.
type SyncEvents struct{ Sender *Sender }

var _ syncs.Events = SyncEvents{}

// SyncFinished implements syncs.Events.
func (e SyncEvents) SyncFinished(ctx context.Context, o syncs.Outcome) {
	ws, err := e.Sender.settings.Webhooks(ctx, o.EnvironmentID)
	if err != nil || (ws.URL == "" && ws.SecondaryURL == "") {
		return
	}
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	p := &SyncPayload{
		Type: "sync", From: "nango", ConnectionID: o.ConnectionID, ProviderConfigKey: o.IntegrationKey,
		SyncName: o.SyncName, SyncVariant: o.Variant, Model: o.Model, SyncType: o.Type,
		ModifiedAfter: stamp(o.ModifiedAfter), QueryTimeStamp: stamp(o.ModifiedAfter), Success: o.Err == nil,
	}
	if o.Err != nil {
		p.Error = &AuthErrorField{Type: o.Err.Type, Description: o.Err.Message}
		p.StartedAt, p.FailedAt = stamp(o.StartedAt), stamp(o.FinishedAt)
	} else {
		p.ResponseResults = &SyncResponseResult{Added: o.Counts.Added, Updated: o.Counts.Updated, Deleted: o.Counts.Deleted}
		p.InvalidRecords = o.Invalid
	}
	e.Sender.Send(ctx, o.EnvironmentID, p)
}
