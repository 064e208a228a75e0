package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/auth"
	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/store"
	"github.com/patchbay/patchbay/wire"
)

// Connections is the connection lifecycle as the API uses it (implemented
// by *auth.Service).
type Connections interface {
	// Fetch returns a connection with fresh credentials, refreshing them
	// first when they expire soon (always, when asked), and the
	// credentials as getConnection shows them.
	Fetch(ctx context.Context, in auth.FetchInput) (*store.Connection, map[string]any, error)
	Import(ctx context.Context, in auth.ImportInput) (*store.Connection, bool, error)
	List(ctx context.Context, f store.ConnectionFilter) ([]*store.Connection, error)
	Patch(ctx context.Context, environmentID, integrationKey, connectionID string, in auth.PatchInput) (*store.Connection, error)
	Delete(ctx context.Context, environmentID, integrationKey, connectionID string) error
	SetMetadata(ctx context.Context, environmentID, integrationKey string, connectionIDs []string, metadata map[string]any, merge bool) ([]*store.Connection, error)
}

const maxIDLen = auth.MaxIDLength

// Nango's timestamp formats: toISOString() in full objects, and the same
// with "+00:00" for the list's "created".
const (
	isoMillis  = "2006-01-02T15:04:05.000Z"
	listMillis = "2006-01-02T15:04:05.000"
)

func isoTime(t time.Time) string { return t.UTC().Format(isoMillis) }

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func orEmpty[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return M{}
	}
	return m
}

func errorsJSON(errs []store.ConnectionError) []wire.ConnectionError {
	out := make([]wire.ConnectionError, len(errs))
	for i, e := range errs {
		out[i] = wire.ConnectionError{Type: e.Type, Code: e.Code, Message: e.Message}
	}
	return out
}

func toEndUserJSON(u *store.EndUser) *wire.EndUser {
	if u == nil {
		return nil
	}
	out := &wire.EndUser{ID: u.ID, Email: nonEmpty(u.Email), DisplayName: nonEmpty(u.DisplayName), Tags: orEmpty(u.Tags)}
	if o := u.Organization; o != nil {
		out.Organization = &wire.Organization{ID: o.ID, DisplayName: nonEmpty(o.DisplayName)}
	}
	return out
}

func toSummaryJSON(c *store.Connection) wire.ConnectionSummary {
	return wire.ConnectionSummary{
		ID: c.ID, ConnectionID: c.ConnectionID, Provider: c.Provider, ProviderConfigKey: c.IntegrationKey,
		Created:  c.CreatedAt.UTC().Format(listMillis) + "+00:00",
		Metadata: orEmpty(c.Metadata), Errors: errorsJSON(c.Errors), EndUser: toEndUserJSON(c.EndUser), Tags: orEmpty(c.Tags),
	}
}

// toConnectionJSON is c without its credentials (see credentialsJSON).
func toConnectionJSON(c *store.Connection) wire.Connection {
	return wire.Connection{
		ID: c.ID, ConnectionID: c.ConnectionID, ProviderConfigKey: c.IntegrationKey, Provider: c.Provider,
		Errors: errorsJSON(c.Errors), EndUser: toEndUserJSON(c.EndUser), Metadata: orEmpty(c.Metadata),
		ConnectionConfig: orEmpty(c.ConnectionConfig), Tags: orEmpty(c.Tags),
		CreatedAt: isoTime(c.CreatedAt), UpdatedAt: isoTime(c.UpdatedAt),
	}
}

// credentialsJSON is c in Nango's shape for its auth mode, the refresh
// token only when asked for.
func credentialsJSON(c *store.Credentials, withRefreshToken bool) (json.RawMessage, error) {
	return json.Marshal(auth.CredentialsView(c, withRefreshToken))
}

// --- GET /connections ---

// listQueryParams are the scalar parameters of GET /connections; tags come
// as tags[key]=value.
var listQueryParams = []string{"connectionId", "search", "endUserId", "endUserOrganizationId", "integrationId", "limit", "page"}

var tagParam = regexp.MustCompile(`^tags\[([^\[\]]*)\]$`)

func (s *Server) listConnections(w http.ResponseWriter, r *http.Request) {
	f, err := listFilter(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f.EnvironmentID = environment(r.Context()).ID
	list, listErr := s.connections.List(r.Context(), f)
	if listErr != nil {
		s.writeError(w, r, inQuery(listErr)) // the filter came from the query
		return
	}
	out := make([]wire.ConnectionSummary, len(list))
	for i, c := range list {
		out[i] = toSummaryJSON(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"connections": out})
}

// listFilter reads GET /connections' query string, reporting every bad
// parameter at once.
func listFilter(w http.ResponseWriter, r *http.Request) (store.ConnectionFilter, *apiError) {
	var f store.ConnectionFilter
	q := queryReader{values: r.URL.Query()}
	allowed := map[string][]string{}
	for _, name := range listQueryParams {
		allowed[name] = nil
	}
	for name, values := range q.values {
		if m := tagParam.FindStringSubmatch(name); m != nil {
			allowed[name] = nil
			if f.Tags == nil {
				f.Tags = map[string]string{}
			}
			f.Tags[m[1]] = values[len(values)-1]
		}
	}
	if err := acceptQuery(w, r, allowed); err != nil {
		return f, err
	}
	f.ConnectionID = q.text("connectionId", maxIDLen)
	f.Search = q.text("search", maxIDLen)
	f.EndUserID = q.text("endUserId", maxIDLen)
	f.EndUserOrganizationID = q.text("endUserOrganizationId", maxIDLen)
	f.Limit = q.number("limit", 1, auth.MaxListLimit) // 0 when absent: the domain's default
	f.Page = q.number("page", 0, 1<<20)
	if ids := q.text("integrationId", maxIDLen); ids != "" {
		// Nango takes a comma-separated list: any of them.
		var keys []string
		for _, k := range strings.Split(ids, ",") {
			if k = strings.TrimSpace(k); k != "" && !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		switch {
		case len(keys) == 0:
			q.fail("integrationId", "invalid_string", "give at least one integration unique key")
		case len(keys) == 1:
			f.IntegrationKey = keys[0]
		default:
			f.IntegrationKeys = keys
		}
	}
	if f.Tags != nil {
		tags, err := auth.NormalizeTags(f.Tags, "tags")
		var ae *auth.Error
		if errors.As(err, &ae) {
			q.errs = append(q.errs, fieldError{Code: "invalid_string", Message: ae.Message, Path: stringPath(ae.Field)})
		}
		f.Tags = tags
	}
	if len(q.errs) > 0 {
		return f, queryError(q.errs)
	}
	return f, nil
}

// queryReader reads single-valued query parameters, collecting problems.
type queryReader struct {
	values map[string][]string
	errs   []fieldError
}

func (q *queryReader) fail(name, code, msg string) {
	q.errs = append(q.errs, fieldError{Code: code, Message: msg, Path: []any{name}})
}

// text returns a parameter given at most once, non-empty, of at most max
// bytes; "" when absent.
func (q *queryReader) text(name string, max int) string {
	values := q.values[name]
	switch {
	case len(values) == 0:
		return ""
	case len(values) > 1:
		q.fail(name, "invalid_type", "must be given once")
	case values[0] == "":
		q.fail(name, "too_small", "must not be empty")
	case len(values[0]) > max:
		q.fail(name, "too_big", fmt.Sprintf("must be at most %d characters", max))
	}
	return values[0]
}

// number returns an integer parameter within [lo, hi]; 0 when absent.
func (q *queryReader) number(name string, lo, hi int) int {
	v := q.text(name, 10)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		q.fail(name, "invalid_type", fmt.Sprintf("must be an integer from %d to %d", lo, hi))
	}
	return n
}

func queryError(errs []fieldError) *apiError {
	e := &apiError{status: http.StatusBadRequest, Code: "invalid_query_params", Message: "the query string is invalid", Errors: errs}
	if len(errs) == 1 {
		e.Message = fmt.Sprintf("%s: %s", pathString(errs[0].Path), errs[0].Message)
	}
	return e
}

func stringPath(p []string) []any {
	out := make([]any, len(p))
	for i, s := range p {
		out[i] = s
	}
	return out
}

// --- GET /connections/{connectionId} ---

// Nango reads its boolean query parameters as zod's stringbool does, so
// these words are what they may be.
var (
	truthy    = []string{"true", "1", "yes", "on", "y", "enabled"}
	queryBool = append(slices.Clip(truthy), "false", "0", "no", "off", "n", "disabled")
)

// queryTrue reports whether the boolean parameter name (one of queryBool,
// checked by checkQuery) is set to a true value.
func queryTrue(r *http.Request, name string) bool {
	return slices.Contains(truthy, strings.ToLower(r.URL.Query().Get(name)))
}

var getConnectionQuery = map[string][]string{
	"provider_config_key": nil,
	"force_refresh":       queryBool,
	"refresh_token":       queryBool,
	// Adds jwtToken, the GitHub App's own JWT, to an app installation's
	// credentials (see auth.FetchInput).
	"refresh_github_app_jwt_token": queryBool,
}

// integrationKeyParam returns the required provider_config_key query
// parameter, or writes the error and returns "".
func (s *Server) integrationKeyParam(w http.ResponseWriter, r *http.Request, allowed map[string][]string) string {
	if err := checkQuery(r, allowed); err != nil {
		s.writeError(w, r, err)
		return ""
	}
	key := r.URL.Query().Get("provider_config_key")
	if key == "" {
		s.writeError(w, r, queryError([]fieldError{{Code: "required", Message: "is required: the unique key of the connection's integration", Path: []any{"provider_config_key"}}}))
	}
	return key
}

func (s *Server) getConnection(w http.ResponseWriter, r *http.Request) {
	key := s.integrationKeyParam(w, r, getConnectionQuery)
	if key == "" {
		return
	}
	c, view, err := s.connections.Fetch(r.Context(), auth.FetchInput{
		EnvironmentID: environment(r.Context()).ID, IntegrationKey: key, ConnectionID: r.PathValue("connectionId"),
		ForceRefresh: queryTrue(r, "force_refresh"), WithRefreshToken: queryTrue(r, "refresh_token"),
		WithAppJWT: queryTrue(r, "refresh_github_app_jwt_token"),
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := toConnectionJSON(c)
	fetched := isoTime(time.Now())
	out.LastFetchedAt = &fetched
	if out.Credentials, err = json.Marshal(view); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// --- POST /connections ---

// importedCredentials decodes the credentials member of an import. APP and
// CUSTOM credentials may name the installation, which belongs in the
// connection config (installation tokens are minted from it).
type importedCredentials struct {
	creds  store.Credentials
	config map[string]string
	raw    json.RawMessage
}

func (ic *importedCredentials) decode(raw json.RawMessage, path []any) []fieldError {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return decodeObject(raw, path, nil)
	}
	typePath := append(slices.Clip(path), "type")
	rawType, ok := members["type"]
	if !ok {
		return []fieldError{{Code: "required", Message: "is required", Path: typePath}}
	}
	var mode string
	if err := json.Unmarshal(rawType, &mode); err != nil {
		return []fieldError{{Code: "invalid_type", Message: "expected a string, received " + jsonKind(rawType), Path: typePath}}
	}
	// The mode lists the members its credentials may have besides "type"
	// (required ones first).
	spec := authmode.Get(mode).Import
	if spec == nil {
		modes := authmode.Importable()
		return []fieldError{{Code: "invalid_enum_value", Message: "must be one of " + strings.Join(modes, ", "), Path: typePath}}
	}
	c := &ic.creds
	values := map[string]*string{
		"access_token": &c.AccessToken, "refresh_token": &c.RefreshToken, "token": &c.Token,
		"oauth_token": &c.OAuthToken, "oauth_token_secret": &c.OAuthTokenSecret, "apiKey": &c.APIKey,
		"username": &c.Username, "password": &c.Password, "client_id": &c.ClientID, "client_secret": &c.ClientSecret,
	}
	// Members the mode keeps in the connection config (an installation's
	// app_id and installation_id) and a provider's own fields are
	// collected here and moved where they belong afterwards.
	extra := map[string]*string{}
	for _, name := range spec.Config {
		extra[name] = new(string)
	}
	maps.Copy(values, extra)
	var expires string
	values["expires_at"] = &expires
	fields := map[string]field{"type": {dest: &c.Type, required: true}}
	for _, name := range spec.Required {
		fields[name] = field{dest: values[name], required: true}
	}
	for _, name := range spec.Optional {
		fields[name] = field{dest: values[name]}
	}
	for name, kind := range spec.Ignored {
		fields[name] = ignore(kind)
	}
	var providerFields map[string]*string
	if spec.ProviderFields {
		providerFields = map[string]*string{}
		for name := range members {
			if _, ok := fields[name]; !ok {
				providerFields[name] = new(string)
				fields[name] = field{dest: providerFields[name]}
			}
		}
	}
	errs := decodeObject(raw, path, fields)
	given := func(name string) bool { _, ok := members[name]; return ok }
	for _, p := range auth.CheckImportedCredentials(mode, given, c, path) {
		errs = append(errs, fieldError{Code: p.Code, Message: p.Message, Path: p.Path})
	}
	ic.config = map[string]string{}
	for name, v := range extra {
		if *v != "" {
			ic.config[name] = *v
		}
	}
	if providerFields != nil {
		c.Fields = make(map[string]string, len(providerFields))
		for name, v := range providerFields {
			c.Fields[name] = *v
		}
	}
	if at, present := members["expires_at"]; present && jsonKind(at) == "string" {
		t, err := parseExpiry(expires)
		if err != nil {
			errs = append(errs, fieldError{Code: "invalid_date", Message: "must be an RFC 3339 date-time, e.g. 2030-01-02T15:04:05Z", Path: append(slices.Clip(path), "expires_at")})
		} else {
			c.ExpiresAt = &t
		}
	}
	// What Patchbay ignores is not kept either: config_override carries
	// a client secret nothing here would use.
	for name := range spec.Ignored {
		if _, given := members[name]; given {
			delete(members, name)
			if b, err := json.Marshal(members); err == nil {
				raw = b
			}
		}
	}
	ic.raw = raw
	return errs
}

func parseExpiry(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a date")
}

// objectField decodes a JSON object of any values into *dst, numbers as
// json.Number so they reach the store as they were written, after checking
// it against doc's rules (see checkDocument): a number beyond float64
// would be stored and then fail every read of the row.
func objectField(dst *map[string]any, doc store.Document) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil || m == nil {
			switch {
			case len(bytes.TrimSpace(raw)) == 0:
				return []fieldError{{Code: "required", Message: "a JSON object is required", Path: path}}
			case !json.Valid(raw):
				return []fieldError{{Code: "invalid_json", Message: "malformed JSON", Path: path}}
			}
			return []fieldError{{Code: "invalid_type", Message: "expected an object, received " + jsonKind(raw), Path: path}}
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return []fieldError{{Code: "invalid_json", Message: "unexpected data after the JSON object", Path: path}}
		}
		if fe := checkDocument(raw, path, doc); fe != nil {
			return []fieldError{*fe}
		}
		*dst = m
		return nil
	}
}

// tagsField decodes an object of string values into *dst.
func tagsField(dst *map[string]string) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		var members map[string]json.RawMessage
		if err := json.Unmarshal(raw, &members); err != nil || members == nil {
			return []fieldError{{Code: "invalid_type", Message: "expected an object of strings, received " + jsonKind(raw), Path: path}}
		}
		var errs []fieldError
		tags := make(map[string]string, len(members))
		for _, k := range slices.Sorted(maps.Keys(members)) {
			var v string
			p := append(slices.Clip(path), k)
			if err := json.Unmarshal(members[k], &v); err != nil || jsonKind(members[k]) != "string" {
				errs = append(errs, fieldError{Code: "invalid_type", Message: "expected a string, received " + jsonKind(members[k]), Path: p})
				continue
			}
			if fe := cmpOrNil(checkNUL(k, p), checkNUL(v, p)); fe != nil {
				errs = append(errs, *fe)
				continue
			}
			tags[k] = v
		}
		*dst = tags
		return errs
	}
}

// endUserField decodes an end user into *dst; null leaves it nil. The
// domain (auth.NormalizeEndUser) checks the values.
func endUserField(dst **store.EndUser) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		if isNull(raw) {
			return nil
		}
		u := &store.EndUser{}
		*dst = u
		return decodeObject(raw, path, map[string]field{
			"id":           {dest: &u.ID, required: true},
			"email":        {dest: &u.Email},
			"display_name": {dest: &u.DisplayName},
			"tags":         {dest: tagsField(&u.Tags)},
			"organization": {dest: nested(func(raw json.RawMessage, path []any) []fieldError {
				u.Organization = &store.Organization{}
				return decodeObject(raw, path, map[string]field{
					"id":           {dest: &u.Organization.ID, required: true},
					"display_name": {dest: &u.Organization.DisplayName},
				})
			})},
		})
	}
}

// checkConnectionID is auth's rule for a connection id, as a field error.
func checkConnectionID(id string, path ...any) *fieldError {
	if p := auth.CheckConnectionID(id, path...); p != nil {
		return &fieldError{Code: p.Code, Message: p.Message, Path: p.Path}
	}
	return nil
}

func (s *Server) importConnection(w http.ResponseWriter, r *http.Request) {
	var in auth.ImportInput
	var creds importedCredentials
	if !s.decodeRequest(w, r, map[string]field{
		"provider_config_key": {dest: &in.IntegrationKey, required: true},
		"connection_id":       {dest: &in.ConnectionID},
		"credentials":         {dest: nested(creds.decode), required: true},
		"connection_config":   {dest: objectField(&in.ConnectionConfig, store.DocConnectionConfig)},
		"metadata":            {dest: objectField(&in.Metadata, store.DocMetadata)},
		"end_user":            {dest: endUserField(&in.EndUser)},
		"tags":                {dest: tagsField(&in.Tags)},
	}) {
		return
	}
	in.Credentials, in.CredentialsConfig, in.RawCredentials = creds.creds, creds.config, creds.raw
	in.EnvironmentID = environment(r.Context()).ID
	c, created, err := s.connections.Import(r.Context(), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	out := toConnectionJSON(c)
	if out.Credentials, err = credentialsJSON(&c.Credentials, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, out)
}

// --- PATCH and DELETE /connections/{connectionId} ---

var integrationKeyQuery = map[string][]string{"provider_config_key": nil}

func (s *Server) patchConnection(w http.ResponseWriter, r *http.Request) {
	key := s.integrationKeyParam(w, r, integrationKeyQuery)
	if key == "" {
		return
	}
	var in auth.PatchInput
	body, apiErr := readBody(w, r)
	if apiErr != nil {
		s.writeError(w, r, apiErr)
		return
	}
	if err := decodeBody(w, body, map[string]field{
		"end_user": {dest: endUserField(&in.EndUser)},
		"tags":     {dest: tagsField(&in.Tags)},
		// Outbound webhooks go to the environment's URLs; a connection
		// cannot have its own yet.
		"webhook_url_override": ignore("string"),
	}); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.connections.Patch(r.Context(), environment(r.Context()).ID, key, r.PathValue("connectionId"), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toConnectionJSON(c))
}

func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request) {
	key := s.integrationKeyParam(w, r, integrationKeyQuery)
	if key == "" {
		return
	}
	if err := s.connections.Delete(r.Context(), environment(r.Context()).ID, key, r.PathValue("connectionId")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// --- metadata ---

// connectionIDsField decodes connection_id: one id or a non-empty array of
// them. *one records which form was sent, so the answer can echo it.
func connectionIDsField(ids *[]string, one *bool) nested {
	return func(raw json.RawMessage, path []any) []fieldError {
		var single string
		if jsonKind(raw) == "string" && json.Unmarshal(raw, &single) == nil {
			*ids, *one = []string{single}, true
			if fe := checkConnectionID(single, path...); fe != nil {
				return []fieldError{*fe}
			}
			return nil
		}
		var list []json.RawMessage
		if jsonKind(raw) != "array" || json.Unmarshal(raw, &list) != nil {
			return []fieldError{{Code: "invalid_type", Message: "expected a string or an array of strings, received " + jsonKind(raw), Path: path}}
		}
		if len(list) == 0 {
			return []fieldError{{Code: "too_small", Message: "must name at least one connection", Path: path}}
		}
		var errs []fieldError
		for i, item := range list {
			p := append(slices.Clip(path), i)
			var id string
			if jsonKind(item) != "string" || json.Unmarshal(item, &id) != nil {
				errs = append(errs, fieldError{Code: "invalid_type", Message: "expected a string, received " + jsonKind(item), Path: p})
				continue
			}
			if fe := checkConnectionID(id, p...); fe != nil {
				errs = append(errs, *fe)
			}
			*ids = append(*ids, id)
		}
		return errs
	}
}

// metadataHandler serves POST (replace) and PATCH (merge)
// /connections/metadata, whose body names the connections.
func (s *Server) metadataHandler(merge bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var ids []string
		var one bool
		var key string
		var metadata map[string]any
		if !s.decodeRequest(w, r, map[string]field{
			"connection_id":       {dest: connectionIDsField(&ids, &one), required: true},
			"provider_config_key": {dest: &key, required: true},
			"metadata":            {dest: objectField(&metadata, store.DocMetadata), required: true},
		}) {
			return
		}
		if key == "" {
			s.writeError(w, r, invalidBody(fieldError{Code: "too_small", Message: "must not be empty", Path: []any{"provider_config_key"}}))
			return
		}
		if _, err := s.connections.SetMetadata(r.Context(), environment(r.Context()).ID, key, ids, metadata, merge); err != nil {
			s.writeError(w, r, err)
			return
		}
		var connectionID any = ids
		if one {
			connectionID = ids[0]
		}
		writeJSON(w, http.StatusOK, map[string]any{"connection_id": connectionID, "provider_config_key": key, "metadata": metadata})
	}
}

// connectionMetadataHandler serves Nango's older per-connection form,
// POST/PATCH /connection/{connectionId}/metadata, whose body is the
// metadata itself and whose integration comes from the query (or, as
// Nango also allowed, the Provider-Config-Key header).
func (s *Server) connectionMetadataHandler(merge bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := checkQuery(r, integrationKeyQuery); err != nil {
			s.writeError(w, r, err)
			return
		}
		key := cmpOr(r.URL.Query().Get("provider_config_key"), r.Header.Get("Provider-Config-Key"))
		if key == "" {
			s.writeError(w, r, queryError([]fieldError{{Code: "required", Message: "is required: the unique key of the connection's integration", Path: []any{"provider_config_key"}}}))
			return
		}
		body, apiErr := readBody(w, r)
		if apiErr != nil {
			s.writeError(w, r, apiErr)
			return
		}
		var metadata map[string]any
		if errs := objectField(&metadata, store.DocMetadata)(json.RawMessage(body), []any{}); len(errs) > 0 {
			s.writeError(w, r, invalidBody(errs...))
			return
		}
		if _, err := s.connections.SetMetadata(r.Context(), environment(r.Context()).ID, key, []string{r.PathValue("connectionId")}, metadata, merge); err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, metadata)
	}
}

func cmpOrNil(a, b *fieldError) *fieldError {
	if a != nil {
		return a
	}
	return b
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
