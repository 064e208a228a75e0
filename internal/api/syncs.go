package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/patchbay/patchbay/internal/records"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/internal/syncs"
	"github.com/patchbay/patchbay/wire"
)

// Syncs is the syncs domain as the API uses it (*syncs.Service).
type Syncs interface {
	Trigger(ctx context.Context, sel syncs.Selection, opts syncs.TriggerOptions) error
	Pause(ctx context.Context, sel syncs.Selection) error
	Start(ctx context.Context, sel syncs.Selection) error
	Status(ctx context.Context, sel syncs.Selection) ([]wire.SyncStatus, error)
	SetFrequency(ctx context.Context, sel syncs.Selection, frequency *string) (string, error)
	CreateVariant(ctx context.Context, environmentID, integrationKey, connectionID, syncName, variant string) (*store.SyncInstance, error)
	DeleteVariant(ctx context.Context, environmentID, integrationKey, connectionID, syncName, variant string) error
	ListRecords(ctx context.Context, t syncs.RecordTarget, q records.Query) (*records.Page, error)
	PruneRecords(ctx context.Context, t syncs.RecordTarget, untilCursor string, limit int) (int, bool, error)
}

func (s *Server) syncRoutes() {
	if s.syncs == nil {
		return
	}
	private := func(pattern string, h http.HandlerFunc) { s.mux.Handle(pattern, s.authenticate(h)) }
	private("POST /sync/trigger", s.triggerSync)
	private("POST /sync/pause", s.syncSwitch(false))
	private("POST /sync/start", s.syncSwitch(true))
	private("GET /sync/status", s.syncStatus)
	private("PUT /sync/update-connection-frequency", s.syncFrequency)
	private("POST /sync/{name}/variant/{variant}", s.createSyncVariant)
	private("DELETE /sync/{name}/variant/{variant}", s.deleteSyncVariant)
	private("GET /records", s.listRecords)
	private("GET /records/{$}", s.listRecords) // where Nango's node SDK sends it
	private("PATCH /records/prune", s.pruneRecords)
}

// syncRefs decodes the syncs member: names, or {name, variant} objects
// (Nango's SDK sends either).
func syncRefs(dst *[]syncs.Ref) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil || isNull(raw) {
			return []fieldError{{Code: "invalid_type", Message: "expected an array of sync names or {name, variant}, received " + jsonKind(raw), Path: path}}
		}
		var errs []fieldError
		for i, item := range items {
			p := append(append([]any(nil), path...), i)
			var name string
			if json.Unmarshal(item, &name) == nil && !isNull(item) {
				if name == "" {
					errs = append(errs, fieldError{Code: "too_small", Message: "a sync name cannot be empty", Path: p})
				}
				*dst = append(*dst, syncs.Ref{Name: name})
				continue
			}
			var ref syncs.Ref
			errs = append(errs, decodeObject(item, p, map[string]field{
				"name":    {dest: &ref.Name, required: true},
				"variant": {dest: &ref.Variant},
			})...)
			*dst = append(*dst, ref)
		}
		return errs
	}
}

// triggerSync serves POST /sync/trigger.
func (s *Server) triggerSync(w http.ResponseWriter, r *http.Request) {
	sel := syncs.Selection{EnvironmentID: environment(r.Context()).ID}
	var opts syncs.TriggerOptions
	var fullResync bool
	var mode string
	if !s.decodeRequest(w, r, map[string]field{
		"provider_config_key": {dest: &sel.IntegrationKey, required: true},
		"connection_id":       {dest: &sel.ConnectionID},
		"syncs":               {dest: syncRefs(&sel.Syncs)},
		"opts": {dest: nested(func(raw json.RawMessage, path []any) []fieldError {
			return decodeObject(raw, path, map[string]field{
				"reset":      {dest: boolField(&opts.Reset)},
				"emptyCache": {dest: boolField(&opts.EmptyCache)},
			})
		})},
		// Nango's older forms of the same options.
		"full_resync": {dest: boolField(&fullResync)},
		"sync_mode":   {dest: &mode},
	}) {
		return
	}
	switch mode {
	case "", "incremental":
	case "full_refresh":
		opts.Reset = true
	case "full_refresh_and_clear_cache":
		opts.Reset, opts.EmptyCache = true, true
	default:
		s.writeError(w, r, invalidBody(fieldError{Code: "invalid_enum_value", Path: []any{"sync_mode"},
			Message: "expected incremental, full_refresh or full_refresh_and_clear_cache"}))
		return
	}
	if fullResync {
		opts.Reset = true
	}
	if err := s.syncs.Trigger(r.Context(), sel, opts); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// syncSwitch serves POST /sync/pause and /sync/start.
func (s *Server) syncSwitch(start bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sel := syncs.Selection{EnvironmentID: environment(r.Context()).ID}
		if !s.decodeRequest(w, r, map[string]field{
			"provider_config_key": {dest: &sel.IntegrationKey, required: true},
			"connection_id":       {dest: &sel.ConnectionID},
			"syncs":               {dest: syncRefs(&sel.Syncs), required: true},
		}) {
			return
		}
		var err error
		if start {
			err = s.syncs.Start(r.Context(), sel)
		} else {
			err = s.syncs.Pause(r.Context(), sel)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"success": true})
	}
}

// syncStatus serves GET /sync/status?provider_config_key=&syncs=*|a,b&connection_id=.
func (s *Server) syncStatus(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r, map[string][]string{"provider_config_key": nil, "syncs": nil, "connection_id": nil}); err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	sel := syncs.Selection{EnvironmentID: environment(r.Context()).ID, IntegrationKey: q.Get("provider_config_key"), ConnectionID: q.Get("connection_id")}
	var errs []fieldError
	if sel.IntegrationKey == "" {
		errs = append(errs, fieldError{Code: "required", Message: "provider_config_key is required", Path: []any{"provider_config_key"}})
	}
	names := queryList(r, "syncs")
	if len(names) == 0 {
		errs = append(errs, fieldError{Code: "required", Message: "syncs is required: * or sync names, comma-separated", Path: []any{"syncs"}})
	}
	if len(errs) > 0 {
		s.writeError(w, r, &apiError{status: http.StatusBadRequest, Code: "invalid_query_params", Message: errs[0].Message, Errors: errs})
		return
	}
	if !(len(names) == 1 && names[0] == "*") {
		for _, n := range names {
			// Nango's SDK names a variant as name::variant.
			name, variant, _ := strings.Cut(n, "::")
			sel.Syncs = append(sel.Syncs, syncs.Ref{Name: name, Variant: variant})
		}
	}
	out, err := s.syncs.Status(r.Context(), sel)
	if err != nil {
		s.writeError(w, r, inQuery(err))
		return
	}
	writeJSON(w, http.StatusOK, wire.SyncStatuses{Syncs: out})
}

// syncFrequency serves PUT /sync/update-connection-frequency.
func (s *Server) syncFrequency(w http.ResponseWriter, r *http.Request) {
	sel := syncs.Selection{EnvironmentID: environment(r.Context()).ID}
	var name, variant string
	var frequency *string
	if !s.decodeRequest(w, r, map[string]field{
		"provider_config_key": {dest: &sel.IntegrationKey, required: true},
		"connection_id":       {dest: &sel.ConnectionID, required: true},
		"sync_name":           {dest: &name, required: true},
		"sync_variant":        {dest: &variant},
		"frequency": {dest: nested(func(raw json.RawMessage, path []any) []fieldError {
			if isNull(raw) {
				return nil
			}
			var f string
			if err := json.Unmarshal(raw, &f); err != nil {
				return []fieldError{{Code: "invalid_type", Message: "expected a frequency such as \"every hour\", or null, received " + jsonKind(raw), Path: path}}
			}
			frequency = &f
			return nil
		}), required: true},
	}) {
		return
	}
	sel.Syncs = []syncs.Ref{{Name: name, Variant: variant}}
	f, err := s.syncs.SetFrequency(r.Context(), sel, frequency)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"frequency": f})
}

// variantRequest decodes the body of the variant routes.
func (s *Server) variantRequest(w http.ResponseWriter, r *http.Request) (integrationKey, connectionID string, ok bool) {
	ok = s.decodeRequest(w, r, map[string]field{
		"provider_config_key": {dest: &integrationKey, required: true},
		"connection_id":       {dest: &connectionID, required: true},
	})
	return integrationKey, connectionID, ok
}

// createSyncVariant serves POST /sync/{name}/variant/{variant}.
func (s *Server) createSyncVariant(w http.ResponseWriter, r *http.Request) {
	key, conn, ok := s.variantRequest(w, r)
	if !ok {
		return
	}
	in, err := s.syncs.CreateVariant(r.Context(), environment(r.Context()).ID, key, conn, r.PathValue("name"), r.PathValue("variant"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": in.ID, "name": in.SyncName, "variant": in.Variant})
}

// deleteSyncVariant serves DELETE /sync/{name}/variant/{variant}.
func (s *Server) deleteSyncVariant(w http.ResponseWriter, r *http.Request) {
	key, conn, ok := s.variantRequest(w, r)
	if !ok {
		return
	}
	if err := s.syncs.DeleteVariant(r.Context(), environment(r.Context()).ID, key, conn, r.PathValue("name"), r.PathValue("variant")); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// recordTarget reads the connection headers of the records routes.
func recordTarget(r *http.Request) syncs.RecordTarget {
	return syncs.RecordTarget{
		EnvironmentID:  environment(r.Context()).ID,
		IntegrationKey: strings.TrimSpace(r.Header.Get("Provider-Config-Key")),
		ConnectionID:   strings.TrimSpace(r.Header.Get("Connection-Id")),
	}
}

// listRecords serves GET /records.
func (s *Server) listRecords(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r, map[string][]string{"model": nil, "variant": nil, "cursor": nil, "limit": nil,
		"modified_after": nil, "delta": nil, "filter": nil, "ids": nil}); err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	t := recordTarget(r)
	t.Model, t.Variant = q.Get("model"), q.Get("variant")
	modified := q.Get("modified_after")
	if modified == "" {
		modified = q.Get("delta") // Nango's older name
	}
	page, err := s.syncs.ListRecords(r.Context(), t, records.Query{
		Cursor: q.Get("cursor"), Limit: q.Get("limit"), ModifiedAfter: modified, Filter: q.Get("filter"), IDs: queryList(r, "ids"),
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeRecords(w, page)
}

// writeRecords writes a page as records rendered it.
func writeRecords(w http.ResponseWriter, page *records.Page) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(page.Body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(page.Body)
}

// pruneRecords serves PATCH /records/prune: {model, until_cursor,
// variant?, limit?} → {count, has_more}.
func (s *Server) pruneRecords(w http.ResponseWriter, r *http.Request) {
	t := recordTarget(r)
	var cursor string
	var limit int
	if !s.decodeRequest(w, r, map[string]field{
		"model":        {dest: &t.Model, required: true},
		"variant":      {dest: &t.Variant},
		"until_cursor": {dest: &cursor, required: true},
		"limit": {dest: nested(func(raw json.RawMessage, path []any) []fieldError {
			if err := json.Unmarshal(raw, &limit); err != nil || limit < 1 {
				return []fieldError{{Code: "invalid_type", Message: "expected a positive whole number, received " + jsonKind(raw), Path: path}}
			}
			return nil
		})},
	}) {
		return
	}
	n, more, err := s.syncs.PruneRecords(r.Context(), t, cursor, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": n, "has_more": more})
}
