package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/actions"
	"github.com/patchbay/patchbay/internal/functions"
	"github.com/patchbay/patchbay/internal/settings"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/wire"
)

// Actions is the functions domain as the API uses it.
type Actions interface {
	Trigger(ctx context.Context, req actions.Request) (*actions.Outcome, error)
	Get(ctx context.Context, environmentID, id string) (*store.ActionRun, error)
	Deploy(ctx context.Context, environmentID string, files map[string]string, only []string, prune bool) (*actions.DeployResult, error)
	Deployments(ctx context.Context, environmentID string) ([]*store.Deployment, error)
	Undeploy(ctx context.Context, environmentID, integrationKey, name, typ string) (*store.Deployment, error)
	Dryrun(ctx context.Context, req actions.DryrunRequest) (*functions.DryrunResult, error)
}

// maxSourceBody bounds deploy and dry-run bodies, which carry a project's
// sources; maxActionBody an action's input.
const (
	maxSourceBody = functions.MaxDeployBytes + 1<<20
	maxActionBody = 4 << 20
)

func (s *Server) functionRoutes() {
	if s.actions == nil {
		return
	}
	private := func(pattern string, h http.HandlerFunc) { s.mux.Handle(pattern, s.authenticate(h)) }
	private("POST /functions/deploy", s.deployFunctions)
	private("POST /functions/dryrun", s.dryrunFunction)
	private("DELETE /functions/{integration}/{name}", s.undeployFunction)
	private("GET /scripts/config", s.scriptsConfig)
	private("POST /action/trigger", s.triggerAction)
	private("GET /action/{id}", s.getActionRun)
	private("GET /environment/variables", s.getVariables)
	private("PUT /environment/variables", s.putVariables)
}

// deployFunctions serves POST /functions/deploy: {files, functions?,
// prune?}. A deploy of the whole project lists the deployed functions the
// files no longer have (not_in_project); with prune it removes them
// (removed).
func (s *Server) deployFunctions(w http.ResponseWriter, r *http.Request) {
	var files map[string]string
	var only []string
	var prune bool
	if !s.decodeLimited(w, r, maxSourceBody, map[string]field{
		"files":     {dest: tagsField(&files), required: true},
		"functions": {dest: stringList(&only)},
		"prune":     {dest: boolField(&prune)},
	}) {
		return
	}
	res, err := s.actions.Deploy(r.Context(), environment(r.Context()).ID, files, only, prune)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.DeployResult{Deployed: res.Deployed, NotInProject: undeployedList(res.Stale), Removed: undeployedList(res.Removed)})
}

// undeployedList is deployments as the wire names functions.
func undeployedList(deps []*store.Deployment) []wire.Undeployed {
	var out []wire.Undeployed
	for _, d := range deps {
		out = append(out, undeployed(d))
	}
	return out
}

func undeployed(d *store.Deployment) wire.Undeployed {
	return wire.Undeployed{Integration: d.IntegrationKey, Name: d.Name, Type: d.Type, Version: d.Version}
}

// undeployFunction serves DELETE /functions/{integration}/{name}?type=:
// 200 with the removed function ({integration, name, type, version}), so
// a caller sees what went; 404 unknown_function when nothing is deployed
// under the name (of that type); 409 naming type when functions of
// different types share the name and type does not pick one. A sync's
// instances stop and its records are deleted before the answer.
func (s *Server) undeployFunction(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r, map[string][]string{"type": {"action", "sync", "on-event"}}); err != nil {
		s.writeError(w, r, err)
		return
	}
	typ := r.URL.Query().Get("type")
	if len(r.URL.Query()["type"]) > 1 || strings.Contains(typ, ",") {
		s.writeError(w, r, &apiError{status: http.StatusBadRequest, Code: "invalid_query_params", Message: "type: give one type",
			Errors: []fieldError{{Code: "invalid_type", Message: "give one type", Path: []any{"type"}}}})
		return
	}
	dep, err := s.actions.Undeploy(r.Context(), environment(r.Context()).ID, r.PathValue("integration"), r.PathValue("name"), typ)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, undeployed(dep))
}

// dryrunFunction serves POST /functions/dryrun.
func (s *Server) dryrunFunction(w http.ResponseWriter, r *http.Request) {
	env := environment(r.Context())
	req := actions.DryrunRequest{EnvironmentID: env.ID, EnvironmentName: env.Name}
	if !s.decodeLimited(w, r, maxSourceBody, map[string]field{
		"files":         {dest: tagsField(&req.Files), required: true},
		"function":      {dest: &req.Function, required: true},
		"integration":   {dest: &req.IntegrationKey},
		"connection_id": {dest: &req.ConnectionID, required: true},
		"input":         {dest: documentField(&req.Input, store.DocActionInput)},
		"metadata":      {dest: objectField(&req.Metadata, store.DocMetadata)},
		// Checkpoints are not stored yet; they keep metadata's rules.
		"checkpoint":     {dest: objectField(&req.Checkpoint, store.DocMetadata)},
		"last_sync_date": {dest: &req.LastSyncDate},
		"save_responses": {dest: boolField(&req.SaveResponses)},
	}) {
		return
	}
	if req.LastSyncDate != "" {
		if _, err := time.Parse(time.RFC3339, req.LastSyncDate); err != nil {
			s.writeError(w, r, invalidBody(fieldError{Code: "invalid_string", Message: "expected an RFC 3339 date-time", Path: []any{"last_sync_date"}}))
			return
		}
	}
	res, err := s.actions.Dryrun(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// scriptsConfigQuery is GET /scripts/config's query: format=nango (the
// default) or openai, as Nango's.
var scriptsConfigQuery = map[string][]string{"format": {"nango", "openai"}}

// scriptsConfig serves GET /scripts/config: the deployed functions per
// integration, in the shape of Nango's, or with format=openai as OpenAI
// function-calling definitions ({data: [{name, description, parameters}]}).
func (s *Server) scriptsConfig(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r, scriptsConfigQuery); err != nil {
		s.writeError(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if len(r.URL.Query()["format"]) > 1 || strings.Contains(format, ",") {
		s.writeError(w, r, &apiError{status: http.StatusBadRequest, Code: "invalid_query_params", Message: "format: give one format",
			Errors: []fieldError{{Code: "invalid_type", Message: "give one format", Path: []any{"format"}}}})
		return
	}
	ctx := r.Context()
	env := environment(ctx)
	deps, err := s.actions.Deployments(ctx, env.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type integrationConfig struct {
		ProviderConfigKey string           `json:"providerConfigKey"`
		Provider          string           `json:"provider"`
		Syncs             []map[string]any `json:"syncs"`
		Actions           []map[string]any `json:"actions"`
		OnEvents          []map[string]any `json:"on-events"`
	}
	var out []*integrationConfig
	byKey := map[string]*integrationConfig{}
	for _, d := range deps {
		ic, ok := byKey[d.IntegrationKey]
		if !ok {
			provider := d.IntegrationKey
			if in, err := s.integrations.Get(ctx, env.ID, d.IntegrationKey); err == nil {
				provider = in.Provider
			}
			ic = &integrationConfig{ProviderConfigKey: d.IntegrationKey, Provider: provider,
				Syncs: []map[string]any{}, Actions: []map[string]any{}, OnEvents: []map[string]any{}}
			byKey[d.IntegrationKey] = ic
			out = append(out, ic)
		}
		var def functions.Definition
		if err := json.Unmarshal(d.Definition, &def); err != nil {
			s.writeError(w, r, fmt.Errorf("definition of %s/%s: %w", d.IntegrationKey, d.Name, err))
			return
		}
		entry := scriptConfig(d, &def)
		switch d.Type {
		case "sync":
			ic.Syncs = append(ic.Syncs, entry)
		case "action":
			ic.Actions = append(ic.Actions, entry)
		default:
			ic.OnEvents = append(ic.OnEvents, entry)
		}
	}
	if out == nil {
		out = []*integrationConfig{}
	}
	if format == "openai" {
		fns := []openAIFunction{}
		for _, ic := range out {
			for _, e := range ic.Syncs {
				fns = append(fns, openAIFunctionOf(e, "sync", ic.Provider))
			}
			for _, e := range ic.Actions {
				fns = append(fns, openAIFunctionOf(e, "action", ic.Provider))
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": fns})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// openAIFunction is a function in OpenAI's function-calling format, as
// Nango's /scripts/config?format=openai lists them.
type openAIFunction struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Parameters  struct {
		Type       string         `json:"type"`
		Properties map[string]any `json:"properties"`
		Required   []string       `json:"required"`
	} `json:"parameters"`
}

// openAIFunctionOf converts one /scripts/config entry as Nango does: a sync
// takes no parameters; an action's are its input's JSON Schema properties,
// each described by the "- name: text" line of the action's description
// when it has one (a description of the property in the schema yields to
// it), and required as the schema says.
func openAIFunctionOf(entry map[string]any, kind, provider string) openAIFunction {
	var f openAIFunction
	f.Name, _ = entry["name"].(string)
	f.Description, _ = entry["description"].(string)
	if f.Description == "" {
		f.Description = fmt.Sprintf("Execute the %s %s for %s", f.Name, kind, provider)
	}
	f.Parameters.Type = "object"
	f.Parameters.Properties = map[string]any{}
	f.Parameters.Required = []string{}
	if kind != "action" {
		return f
	}
	schema, _ := entry["json_schema"].(map[string]any)
	raw, _ := schema["input"].(json.RawMessage)
	var input struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if len(raw) > 0 && json.Unmarshal(raw, &input) == nil {
		for name, p := range input.Properties {
			f.Parameters.Properties[name] = p
		}
		if input.Required != nil {
			f.Parameters.Required = input.Required
		}
	}
	for _, line := range strings.Split(f.Description, "\n") {
		item, ok := strings.CutPrefix(strings.TrimSpace(line), "-")
		if !ok {
			continue
		}
		name, text, ok := strings.Cut(strings.TrimSpace(item), ":")
		name = strings.TrimSpace(name)
		p, known := input.Properties[name]
		if !ok || !known {
			continue
		}
		var prop map[string]any
		if json.Unmarshal(p, &prop) != nil || prop == nil {
			continue
		}
		prop["description"] = strings.TrimSpace(text)
		f.Parameters.Properties[name] = prop
	}
	return f
}

// scriptConfig is one function's entry of /scripts/config. Nango's field
// names where it has them; json_schema holds the zod schemas as JSON
// Schema (draft 2020-12).
func scriptConfig(d *store.Deployment, def *functions.Definition) map[string]any {
	scopes := def.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	entry := map[string]any{
		"name":        d.Name,
		"type":        d.Type,
		"description": def.Description,
		"version":     def.Version,
		"scopes":      scopes,
		"source_hash": d.SourceHash,
		"updated_at":  d.UpdatedAt.UTC().Format(time.RFC3339),
		"enabled":     true,
	}
	schema := map[string]any{}
	switch d.Type {
	case "action":
		entry["endpoints"] = endpointList(def.Endpoint)
		entry["input"] = nil
		if len(def.Input) > 0 {
			entry["input"] = d.Name + "Input"
			schema["input"] = def.Input
		}
		if len(def.Output) > 0 {
			entry["returns"] = []string{d.Name + "Output"}
			schema["output"] = def.Output
		} else {
			entry["returns"] = []string{}
		}
	case "sync":
		entry["runs"] = def.Frequency
		entry["auto_start"] = def.AutoStart
		entry["sync_type"] = def.SyncType
		entry["track_deletes"] = def.TrackDeletes
		entry["endpoints"] = endpointList(def.Endpoints)
		entry["webhookSubscriptions"] = def.WebhookSubscriptions
		models := make([]map[string]any, 0, len(def.Models))
		returns := make([]string, 0, len(def.Models))
		for name, m := range def.Models {
			models = append(models, map[string]any{"name": name, "json_schema": m})
			returns = append(returns, name)
		}
		entry["models"] = models
		entry["returns"] = returns
		if len(def.Metadata) > 0 {
			schema["metadata"] = def.Metadata
		}
		if len(def.Checkpoint) > 0 {
			schema["checkpoint"] = def.Checkpoint
		}
	case "on-event":
		entry["event"] = def.Event
	}
	entry["json_schema"] = schema
	return entry
}

// endpointList normalises an action's endpoint (one object) or a sync's
// endpoints (an array) into an array.
func endpointList(raw json.RawMessage) []json.RawMessage {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return []json.RawMessage{}
	case raw[0] == '[':
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil {
			return list
		}
	}
	return []json.RawMessage{raw}
}

// triggerAction serves POST /action/trigger.
func (s *Server) triggerAction(w http.ResponseWriter, r *http.Request) {
	env := environment(r.Context())
	h := r.Header
	req := actions.Request{
		EnvironmentID: env.ID, EnvironmentName: env.Name,
		IntegrationKey: strings.TrimSpace(h.Get("Provider-Config-Key")),
		ConnectionID:   strings.TrimSpace(h.Get("Connection-Id")),
		IdempotencyKey: strings.TrimSpace(h.Get("Idempotency-Key")),
	}
	var errs []fieldError
	for _, c := range []struct{ name, v string }{{"Provider-Config-Key", req.IntegrationKey}, {"Connection-Id", req.ConnectionID}} {
		if c.v == "" {
			errs = append(errs, fieldError{Code: "required", Message: "the " + c.name + " header is required", Path: []any{c.name}})
		}
	}
	if v := h.Get("X-Async"); v != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fieldError{Code: "invalid_boolean", Message: "X-Async must be true or false", Path: []any{"X-Async"}})
		}
		req.Async = b
	}
	if v := h.Get("X-Max-Retries"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			n = -1 // not a whole number: actions' rule refuses it as out of bounds
		}
		req.MaxRetries = n
	}
	for _, p := range actions.CheckRequest(req) {
		errs = append(errs, fieldError{Code: p.Code, Message: p.Message, Path: p.Path})
	}
	if len(errs) > 0 {
		s.writeError(w, r, &apiError{status: http.StatusBadRequest, Code: "invalid_headers", Message: headerMessage(errs), Errors: errs})
		return
	}
	if !s.decodeLimited(w, r, maxActionBody, map[string]field{
		"action_name": {dest: &req.ActionName, required: true},
		"input":       {dest: documentField(&req.Input, store.DocActionInput)},
	}) {
		return
	}
	out, err := s.actions.Trigger(r.Context(), req)
	if err != nil {
		s.writeError(w, r, inHeader(err)) // retries and the idempotency key came in headers
		return
	}
	if out.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	if req.Async {
		writeJSON(w, http.StatusAccepted, map[string]string{"id": out.Run.ID, "statusUrl": "/action/" + out.Run.ID})
		return
	}
	writeRaw(w, http.StatusOK, out.Output)
}

func headerMessage(errs []fieldError) string {
	if len(errs) == 1 {
		return errs[0].Message
	}
	return "the request headers are invalid"
}

// writeRaw sends a JSON document as it is: an action's output goes back
// byte for byte.
func writeRaw(w http.ResponseWriter, status int, body json.RawMessage) {
	if len(body) == 0 {
		body = json.RawMessage("null")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// getActionRun serves GET /action/{id}: the output of a finished async
// run, its failure, or 202 while it runs.
func (s *Server) getActionRun(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r, nil); err != nil {
		s.writeError(w, r, err)
		return
	}
	run, err := s.actions.Get(r.Context(), environment(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	switch run.Status {
	case store.ActionSucceeded:
		writeRaw(w, http.StatusOK, run.Output)
	case store.ActionFailed:
		s.writeError(w, r, actions.FailureOf(run))
	default:
		writeJSON(w, http.StatusAccepted, map[string]any{"id": run.ID, "status": run.Status, "statusUrl": "/action/" + run.ID, "attempts": run.Attempts})
	}
}

func (s *Server) getVariables(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r, nil); err != nil {
		s.writeError(w, r, err)
		return
	}
	vars, err := s.settings.Variables(r.Context(), environment(r.Context()).ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if vars == nil {
		vars = []store.EnvironmentVariable{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"variables": variablesJSON(vars)})
}

// variableJSON is an environment variable in the API.
type variableJSON struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func variablesJSON(vars []store.EnvironmentVariable) []variableJSON {
	out := make([]variableJSON, len(vars))
	for i, v := range vars {
		out[i] = variableJSON{Name: v.Name, Value: v.Value}
	}
	return out
}

// putVariables serves PUT /environment/variables: {variables:[{name,
// value}]} replaces them all.
func (s *Server) putVariables(w http.ResponseWriter, r *http.Request) {
	var vars []store.EnvironmentVariable
	if !s.decodeRequest(w, r, map[string]field{
		"variables": {required: true, dest: nested(func(raw json.RawMessage, path []any) []fieldError {
			var items []json.RawMessage
			if err := json.Unmarshal(raw, &items); err != nil || isNull(raw) {
				return []fieldError{{Code: "invalid_type", Message: "expected an array, received " + jsonKind(raw), Path: path}}
			}
			if len(items) > settings.MaxVariables {
				// Checked before decoding, so a huge list is not decoded.
				return []fieldError{{Code: "too_big", Message: fmt.Sprintf("at most %d variables", settings.MaxVariables), Path: path}}
			}
			itemErrs := make([][]fieldError, len(items))
			failed := false
			for i, item := range items {
				var v store.EnvironmentVariable
				p := append(path[:len(path):len(path)], i)
				itemErrs[i] = decodeObject(item, p, map[string]field{
					"name":  {dest: &v.Name, required: true},
					"value": {dest: &v.Value, required: true},
				})
				failed = failed || len(itemErrs[i]) > 0
				vars = append(vars, v)
			}
			if !failed {
				return nil // settings.SetVariables checks the rules.
			}
			// The rules' problems come in the same answer as the decoding
			// errors, each after its item's.
			for _, p := range settings.CheckVariables(vars) {
				i := p.Path[1].(int)
				itemErrs[i] = append(itemErrs[i], fieldError{Code: p.Code, Message: p.Message, Path: p.Path})
			}
			var errs []fieldError
			for _, e := range itemErrs {
				errs = append(errs, e...)
			}
			return errs
		})},
	}) {
		return
	}
	if vars == nil {
		vars = []store.EnvironmentVariable{}
	}
	if err := s.settings.SetVariables(r.Context(), environment(r.Context()).ID, vars); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"variables": variablesJSON(vars)})
}
