package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/patchbay/patchbay/internal/catalog"
	"github.com/patchbay/patchbay/internal/integrations"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/wire"
)

// integrationJSON is in as the API answers it; include lists the members
// asked for (credentials, webhook).
func (s *Server) integrationJSON(env *store.Environment, in *store.Integration, include []string) wire.Integration {
	out := wire.Integration{
		UniqueKey:   in.UniqueKey,
		DisplayName: in.DisplayName,
		Provider:    in.Provider,
		Logo:        s.logoURL(in.Provider),
		CreatedAt:   in.CreatedAt.UTC(),
		UpdatedAt:   in.UpdatedAt.UTC(),
		Settings:    wire.IntegrationSettings{AllowedBaseURLs: in.Settings.AllowedBaseURLs},
	}
	if r := in.Settings.RateLimit; r != nil {
		out.Settings.RateLimit = &wire.RateLimit{Requests: r.Requests, Interval: catalog.FormatInterval(r.Interval), Burst: r.Burst}
	}
	if f := in.Settings.Functions; f != nil {
		out.Settings.Functions = &wire.FunctionLimits{MemoryMiB: int(f.Memory >> 20), ConnectionConcurrency: f.ConnectionConcurrency}
		if f.ActionTimeout > 0 {
			out.Settings.Functions.ActionTimeout = f.ActionTimeout.String()
		}
		if f.SyncTimeout > 0 {
			out.Settings.Functions.SyncTimeout = f.SyncTimeout.String()
		}
		out.Settings.Functions.RecordsRetentionDays = int(f.RecordsRetention / (24 * time.Hour))
		if f.EnforceActionOutput {
			out.Settings.Functions.ActionOutputValidation = "enforce"
		}
	}
	if slices.Contains(include, "webhook") {
		out.WebhookURL = s.serverURL + "/webhook/" + env.ID + "/" + url.PathEscape(in.UniqueKey)
	}
	if slices.Contains(include, "credentials") {
		out.Credentials = &wire.IncludedCredentials{}
		if c := in.Credentials; c.Type != "" {
			// Type is never empty here, so its omitempty never drops it.
			out.Credentials.Credentials = &wire.IntegrationCredentials{
				Type: c.Type, ClientID: c.ClientID, ClientSecret: c.ClientSecret, Scopes: c.Scopes,
				WebhookSecret: c.WebhookSecret, AppID: c.AppID, AppLink: c.AppLink, PrivateKey: c.PrivateKey,
			}
		}
	}
	return out
}

func (s *Server) listIntegrations(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r, nil); err != nil {
		s.writeError(w, r, err)
		return
	}
	env := environment(r.Context())
	list, err := s.integrations.List(r.Context(), env.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]wire.Integration, len(list))
	for i, in := range list {
		out[i] = s.integrationJSON(env, in, nil)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

var includeQuery = map[string][]string{"include": {"credentials", "webhook"}}

func (s *Server) getIntegration(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r, includeQuery); err != nil {
		s.writeError(w, r, err)
		return
	}
	env := environment(r.Context())
	in, err := s.integrations.Get(r.Context(), env.ID, r.PathValue("key"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": s.integrationJSON(env, in, queryList(r, "include"))})
}

// credentialsFields decodes a credentials object; *dst stays nil when the
// member is absent.
func credentialsFields(dst **store.IntegrationCredentials) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		c := &store.IntegrationCredentials{}
		*dst = c
		return decodeObject(raw, path, map[string]field{
			"type":           {dest: &c.Type, required: true},
			"client_id":      {dest: &c.ClientID},
			"client_secret":  {dest: &c.ClientSecret},
			"scopes":         {dest: nullableString(&c.Scopes)}, // null as left out, as Nango takes it
			"webhook_secret": {dest: nullableString(&c.WebhookSecret)},
			"app_id":         {dest: &c.AppID},
			"app_link":       {dest: &c.AppLink},
			"private_key":    {dest: &c.PrivateKey},
		})
	}
}

// nullableString decodes a string member into *dst, null as "".
func nullableString(dst *string) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		if isNull(raw) {
			return nil
		}
		if jsonKind(raw) != "string" || json.Unmarshal(raw, dst) != nil {
			return []fieldError{{Code: "invalid_type", Message: "expected a string or null, received " + jsonKind(raw), Path: path}}
		}
		if fe := checkNUL(*dst, path); fe != nil {
			return []fieldError{*fe}
		}
		return nil
	}
}

// settingsFields decodes the settings object; *dst stays nil when the
// member is absent.
func settingsFields(dst **integrations.SettingsInput) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		in := &integrations.SettingsInput{}
		*dst = in
		return decodeObject(raw, path, map[string]field{
			"rate_limit":        {dest: rateLimitFields(&in.RateLimit)},
			"allowed_base_urls": {dest: stringList(&in.AllowedBaseURLs)},
			"functions": {dest: nested(func(raw json.RawMessage, path []any) []fieldError {
				f := &integrations.FunctionLimitsInput{}
				in.Functions = f
				return decodeObject(raw, path, map[string]field{
					"memory_mib":               {dest: integer(func(n int) { f.MemoryMiB = n })},
					"action_timeout":           {dest: &f.ActionTimeout},
					"sync_timeout":             {dest: &f.SyncTimeout},
					"connection_concurrency":   {dest: integer(func(n int) { f.ConnectionConcurrency = n })},
					"records_retention_days":   {dest: integer(func(n int) { f.RecordsRetentionDays = n })},
					"action_output_validation": {dest: &f.ActionOutputValidation},
				})
			})},
		})
	}
}

func rateLimitFields(dst **integrations.RateLimitInput) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		rl := &integrations.RateLimitInput{}
		*dst = rl
		return decodeObject(raw, path, map[string]field{
			"requests": {dest: integer(func(n int) { rl.Requests = n }), required: true},
			"interval": {dest: &rl.Interval, required: true},
			"burst":    {dest: integer(func(n int) { rl.Burst = &n })},
		})
	}
}

// integer decodes a JSON integer literal (10, not 10.0 or "10") and
// passes it to set.
func integer(set func(int)) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 32)
		if errors.Is(err, strconv.ErrRange) {
			return []fieldError{{Code: "too_big", Message: "must be between -2147483648 and 2147483647", Path: path}}
		}
		if err != nil {
			return []fieldError{{Code: "invalid_type", Message: "expected an integer, received " + jsonKind(raw), Path: path}}
		}
		set(int(n))
		return nil
	}
}

func (s *Server) createIntegration(w http.ResponseWriter, r *http.Request) {
	var in integrations.CreateInput
	if !s.decodeRequest(w, r, map[string]field{
		"unique_key":   {dest: &in.UniqueKey, required: true},
		"provider":     {dest: &in.Provider, required: true},
		"display_name": {dest: &in.DisplayName},
		"credentials":  {dest: credentialsFields(&in.Credentials)},
		"settings":     {dest: settingsFields(&in.Settings)},
		// Nango's, without an equivalent here: Patchbay forwards no
		// provider webhooks to the customer, and no catalog entry
		// declares an integration_config schema.
		"forward_webhooks":   ignore("boolean"),
		"integration_config": ignore("object"),
	}) {
		return
	}
	env := environment(r.Context())
	created, err := s.integrations.Create(r.Context(), env.ID, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": s.integrationJSON(env, created, nil)})
}

func (s *Server) updateIntegration(w http.ResponseWriter, r *http.Request) {
	var in integrations.UpdateInput
	if !s.decodeRequest(w, r, map[string]field{
		"unique_key":   {dest: &in.UniqueKey},
		"display_name": {dest: &in.DisplayName},
		"credentials":  {dest: credentialsFields(&in.Credentials)},
		"settings":     {dest: settingsFields(&in.Settings)},
		// As on create.
		"forward_webhooks":   ignore("boolean"),
		"integration_config": ignore("object"),
	}) {
		return
	}
	env := environment(r.Context())
	updated, err := s.integrations.Update(r.Context(), env.ID, r.PathValue("key"), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": s.integrationJSON(env, updated, nil)})
}

func (s *Server) deleteIntegration(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r, nil); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.integrations.Delete(r.Context(), environment(r.Context()).ID, r.PathValue("key")); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}
