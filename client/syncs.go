package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/patchbay/patchbay/wire"
)

// SyncStatus is one sync instance (a sync, a connection and a variant) as
// SyncStatus reports it: Status is RUNNING, PAUSED, STOPPED, SUCCESS or
// ERROR; LatestResult holds the last finished run's changes per model,
// InvalidRecords the records that run skipped as invalid per model, and
// RecordCount the live records per model.
type SyncStatus = wire.SyncStatus

// SyncRecordCounts are a finished run's changes to one model.
type SyncRecordCounts = wire.RecordCounts

// SyncRef names a sync, and optionally one of its variants ("" is the
// base variant, or every variant where a call says so).
type SyncRef = wire.SyncRef

// SyncNames turns sync names into refs, for SyncSelection.Syncs.
func SyncNames(names ...string) []SyncRef {
	refs := make([]SyncRef, len(names))
	for i, n := range names {
		refs[i] = SyncRef{Name: n}
	}
	return refs
}

// SyncSelection picks the sync instances a call acts on: the named syncs
// of one integration, on one connection or on all of its connections.
type SyncSelection struct {
	// IntegrationKey is the integration's unique key (Nango's
	// provider_config_key); required.
	IntegrationKey string
	// ConnectionID narrows the call to one connection; empty means every
	// connection of the integration.
	ConnectionID string
	// Syncs are the syncs to act on. TriggerSync and SyncStatus take an
	// empty list as every sync of the integration; PauseSyncs and
	// StartSyncs need at least one.
	Syncs []SyncRef
}

// syncBody is the body of POST /sync/trigger, /sync/pause and /sync/start.
type syncBody struct {
	ProviderConfigKey string    `json:"provider_config_key"`
	ConnectionID      string    `json:"connection_id,omitempty"`
	Syncs             []SyncRef `json:"syncs"`
	Opts              *syncOpts `json:"opts,omitempty"`
}

type syncOpts struct {
	Reset      bool `json:"reset"`
	EmptyCache bool `json:"emptyCache"`
}

func (s SyncSelection) body(needSyncs bool) (syncBody, error) {
	if s.IntegrationKey == "" {
		return syncBody{}, errors.New("patchbay: integration unique key must not be empty")
	}
	if needSyncs && len(s.Syncs) == 0 {
		return syncBody{}, errors.New("patchbay: at least one sync name is required")
	}
	for _, r := range s.Syncs {
		if r.Name == "" {
			return syncBody{}, errors.New("patchbay: a sync name must not be empty")
		}
	}
	syncs := s.Syncs
	if syncs == nil {
		syncs = []SyncRef{}
	}
	return syncBody{ProviderConfigKey: s.IntegrationKey, ConnectionID: s.ConnectionID, Syncs: syncs}, nil
}

// TriggerSyncOptions adjust TriggerSync.
type TriggerSyncOptions struct {
	// Reset clears the checkpoint and last sync date, so the run fetches
	// everything again (Nango's full resync); the cached records stay and
	// are compared against what the run saves.
	Reset bool
	// EmptyCache deletes the cached records before the run, so every
	// record it saves counts as added; with Reset it rebuilds the cache
	// from scratch.
	EmptyCache bool
}

// TriggerSync runs the selected syncs now. The call returns once the runs
// are queued (SyncStatus reports them RUNNING from then on); a sync that is
// running already runs again right after. Triggering runs a paused sync
// once without resuming its schedule.
func (c *Client) TriggerSync(ctx context.Context, sel SyncSelection, opts TriggerSyncOptions) error {
	body, err := sel.body(false)
	if err != nil {
		return err
	}
	if opts.Reset || opts.EmptyCache {
		body.Opts = &syncOpts{Reset: opts.Reset, EmptyCache: opts.EmptyCache}
	}
	return c.sendSuccess(ctx, request{method: http.MethodPost, path: "/sync/trigger", body: body})
}

// PauseSyncs stops the selected syncs' schedules; a run going on ends
// normally.
func (c *Client) PauseSyncs(ctx context.Context, sel SyncSelection) error {
	body, err := sel.body(true)
	if err != nil {
		return err
	}
	return c.sendSuccess(ctx, request{method: http.MethodPost, path: "/sync/pause", body: body})
}

// StartSyncs resumes the selected syncs' schedules (or starts those
// deployed with autoStart false); a sync that never ran, or whose next run
// is overdue, runs at once.
func (c *Client) StartSyncs(ctx context.Context, sel SyncSelection) error {
	body, err := sel.body(true)
	if err != nil {
		return err
	}
	return c.sendSuccess(ctx, request{method: http.MethodPost, path: "/sync/start", body: body})
}

// sendSuccess performs r, which the server answers with {"success": true}.
func (c *Client) sendSuccess(ctx context.Context, r request) error {
	var out struct {
		Success *bool `json:"success"`
	}
	if err := c.send(ctx, r, &out); err != nil {
		return err
	}
	if out.Success == nil || !*out.Success {
		return fmt.Errorf("patchbay: %s: response does not say \"success\": true", r)
	}
	return nil
}

// SyncStatus reports the selected sync instances, one per sync, connection
// and variant. The server selects syncs by name only: a ref with a Variant
// narrows the answer to that variant of the sync, a ref without one keeps
// all its variants.
func (c *Client) SyncStatus(ctx context.Context, sel SyncSelection) ([]SyncStatus, error) {
	if _, err := sel.body(false); err != nil {
		return nil, err
	}
	q := url.Values{"provider_config_key": {sel.IntegrationKey}, "syncs": {"*"}}
	if len(sel.Syncs) > 0 {
		names := make([]string, 0, len(sel.Syncs))
		for _, r := range sel.Syncs {
			if strings.Contains(r.Name, ",") {
				return nil, fmt.Errorf("patchbay: sync name %q contains a comma", r.Name)
			}
			if !slices.Contains(names, r.Name) {
				names = append(names, r.Name)
			}
		}
		q.Set("syncs", strings.Join(names, ","))
	}
	if sel.ConnectionID != "" {
		q.Set("connection_id", sel.ConnectionID)
	}
	r := request{method: http.MethodGet, path: "/sync/status", query: q}
	var out struct {
		Syncs *[]SyncStatus `json:"syncs"`
	}
	if err := c.send(ctx, r, &out); err != nil {
		return nil, err
	}
	if out.Syncs == nil {
		return nil, fmt.Errorf("patchbay: %s: response has no \"syncs\"", r)
	}
	return slices.DeleteFunc(*out.Syncs, func(st SyncStatus) bool { return !sel.wants(st) }), nil
}

// wants reports whether st is one of the instances s names, variants
// included.
func (s SyncSelection) wants(st SyncStatus) bool {
	if len(s.Syncs) == 0 {
		return true
	}
	for _, r := range s.Syncs {
		if r.Name == st.Name && (r.Variant == "" || r.Variant == st.Variant) {
			return true
		}
	}
	return false
}

// UpdateSyncFrequency overrides how often a sync runs for one connection
// (and variant, when sync.Variant is set), e.g. "every 5 minutes" or "1h",
// and returns the frequency now in force as the server writes it
// ("every 5m"). An empty frequency removes the override, going back to
// the frequency the sync was deployed with.
func (c *Client) UpdateSyncFrequency(ctx context.Context, integrationKey, connectionID string, sync SyncRef, frequency string) (string, error) {
	switch {
	case integrationKey == "":
		return "", errors.New("patchbay: integration unique key must not be empty")
	case connectionID == "":
		return "", errors.New("patchbay: connection id must not be empty")
	case sync.Name == "":
		return "", errors.New("patchbay: sync name must not be empty")
	}
	body := struct {
		ProviderConfigKey string  `json:"provider_config_key"`
		ConnectionID      string  `json:"connection_id"`
		SyncName          string  `json:"sync_name"`
		SyncVariant       string  `json:"sync_variant,omitempty"`
		Frequency         *string `json:"frequency"`
	}{integrationKey, connectionID, sync.Name, sync.Variant, nil}
	if frequency != "" {
		body.Frequency = &frequency
	}
	r := request{method: http.MethodPut, path: "/sync/update-connection-frequency", body: body}
	var out struct {
		Frequency *string `json:"frequency"`
	}
	if err := c.send(ctx, r, &out); err != nil {
		return "", err
	}
	if out.Frequency == nil {
		return "", fmt.Errorf("patchbay: %s: response has no \"frequency\"", r)
	}
	return *out.Frequency, nil
}

// SyncVariant is a variant of a sync on one connection, as
// CreateSyncVariant made it.
type SyncVariant struct {
	// ID is the server's id of the new sync instance.
	ID string `json:"id"`
	// Name is the sync's name.
	Name string `json:"name"`
	// Variant is the variant's name.
	Variant string `json:"variant"`
}

// CreateSyncVariant adds a variant of a sync to a connection: an instance
// of the sync with its own schedule, checkpoint and records (read them
// with ListRecordsOptions.Variant). It runs at once. A variant is letters,
// digits, '_', '-' and '.'; "base" is the sync itself and cannot be
// created.
func (c *Client) CreateSyncVariant(ctx context.Context, integrationKey, connectionID, syncName, variant string) (*SyncVariant, error) {
	r, err := variantRequest(http.MethodPost, integrationKey, connectionID, syncName, variant)
	if err != nil {
		return nil, err
	}
	var out SyncVariant
	if err := c.send(ctx, r, &out); err != nil {
		return nil, err
	}
	if out.ID == "" {
		return nil, fmt.Errorf("patchbay: %s: response has no \"id\"", r)
	}
	return &out, nil
}

// DeleteSyncVariant removes a variant of a sync from a connection, with
// its records. An unknown variant yields an *Error for which IsNotFound
// reports true.
func (c *Client) DeleteSyncVariant(ctx context.Context, integrationKey, connectionID, syncName, variant string) error {
	r, err := variantRequest(http.MethodDelete, integrationKey, connectionID, syncName, variant)
	if err != nil {
		return err
	}
	return c.sendSuccess(ctx, r)
}

func variantRequest(method, integrationKey, connectionID, syncName, variant string) (request, error) {
	if integrationKey == "" {
		return request{}, errors.New("patchbay: integration unique key must not be empty")
	}
	if connectionID == "" {
		return request{}, errors.New("patchbay: connection id must not be empty")
	}
	name, err := segment("sync name", syncName)
	if err != nil {
		return request{}, err
	}
	v, err := segment("variant", variant)
	if err != nil {
		return request{}, err
	}
	body := map[string]string{"provider_config_key": integrationKey, "connection_id": connectionID}
	return request{method: method, path: "/sync/" + name + "/variant/" + v, body: body}, nil
}
