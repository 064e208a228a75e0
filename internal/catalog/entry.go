package catalog

import "slices"

// A member decodes one member of an entry's mapping into its place in a
// T, recording type errors in d under path.
type member[T any] func(d *decoder, t *T, path string, v any)

// The plain shapes of a member: each is given the field it fills.

func str[T any](at func(*T) *string) member[T] {
	return func(d *decoder, t *T, path string, v any) { *at(t) = d.str(path, v) }
}

func strList[T any](at func(*T) *[]string) member[T] {
	return func(d *decoder, t *T, path string, v any) { *at(t) = d.strList(path, v) }
}

func strOrList[T any](at func(*T) *[]string) member[T] {
	return func(d *decoder, t *T, path string, v any) { *at(t) = d.strOrList(path, v) }
}

func strMap[T any](at func(*T) *map[string]string) member[T] {
	return func(d *decoder, t *T, path string, v any) { *at(t) = d.strMap(path, v) }
}

func mapping[T any](at func(*T) *map[string]any) member[T] {
	return func(d *decoder, t *T, path string, v any) { *at(t) = d.mapping(path, v) }
}

func boolean[T any](at func(*T) *bool) member[T] {
	return func(d *decoder, t *T, path string, v any) { *at(t) = d.boolean(path, v) }
}

func integer[T any](at func(*T) *int64) member[T] {
	return func(d *decoder, t *T, path string, v any) { *at(t) = d.integer(path, v) }
}

// decodeMembers decodes m into t, member by member in key order (so errors
// come out in a stable order); a member members does not know goes to
// extra untouched.
func decodeMembers[T any](d *decoder, path string, m map[string]any, t *T, members map[string]member[T], extra func(k string, v any)) {
	for _, k := range sortedKeys(m) {
		if decode, ok := members[k]; ok {
			decode(d, t, join(path, k), m[k])
		} else {
			extra(k, m[k])
		}
	}
}

// providerMembers are the fields of a catalog entry, by YAML name.
var providerMembers = map[string]member[Provider]{
	"display_name":      str(func(p *Provider) *string { return &p.DisplayName }),
	"categories":        strList(func(p *Provider) *[]string { return &p.Categories }),
	"auth_mode":         str(func(p *Provider) *string { return &p.AuthMode }),
	"alias":             str(func(p *Provider) *string { return &p.Alias }),
	"authorization_url": str(func(p *Provider) *string { return &p.AuthorizationURL }),
	"token_url": func(d *decoder, p *Provider, path string, v any) {
		if _, ok := v.(map[string]any); ok {
			p.TokenURLByMode = d.strMap(path, v)
		} else {
			p.TokenURL = d.str(path, v)
		}
	},
	"refresh_url":                          str(func(p *Provider) *string { return &p.RefreshURL }),
	"request_url":                          str(func(p *Provider) *string { return &p.RequestURL }),
	"authorization_params":                 params(func(p *Provider) *map[string]string { return &p.AuthorizationParams }),
	"token_params":                         params(func(p *Provider) *map[string]string { return &p.TokenParams }),
	"refresh_params":                       params(func(p *Provider) *map[string]string { return &p.RefreshParams }),
	"request_params":                       params(func(p *Provider) *map[string]string { return &p.RequestParams }),
	"authorization_method":                 str(func(p *Provider) *string { return &p.AuthorizationMethod }),
	"body_format":                          str(func(p *Provider) *string { return &p.BodyFormat }),
	"token_request_auth_method":            str(func(p *Provider) *string { return &p.TokenRequestAuthMethod }),
	"scope_separator":                      str(func(p *Provider) *string { return &p.ScopeSeparator }),
	"default_scopes":                       strList(func(p *Provider) *[]string { return &p.DefaultScopes }),
	"disable_pkce":                         boolean(func(p *Provider) *bool { return &p.DisablePKCE }),
	"authorization_url_replacements":       strMap(func(p *Provider) *map[string]string { return &p.AuthorizationURLReplacements }),
	"authorization_url_fragment":           str(func(p *Provider) *string { return &p.AuthorizationURLFragment }),
	"authorization_url_skip_encode":        strList(func(p *Provider) *[]string { return &p.AuthorizationURLSkipEncode }),
	"authorization_url_skip_empty":         boolean(func(p *Provider) *bool { return &p.AuthorizationURLSkipEmpty }),
	"authorization_code_param_in_callback": str(func(p *Provider) *string { return &p.AuthorizationCodeParamInCallback }),
	"redirect_uri_metadata":                strList(func(p *Provider) *[]string { return &p.RedirectURIMetadata }),
	"token_response_metadata":              strList(func(p *Provider) *[]string { return &p.TokenResponseMetadata }),
	"alternate_access_token_response_path": str(func(p *Provider) *string { return &p.AlternateAccessTokenResponsePath }),
	"expires_in_unit":                      str(func(p *Provider) *string { return &p.ExpiresInUnit }),
	"token_expiration_buffer":              integer(func(p *Provider) *int64 { return &p.TokenExpirationBuffer }),
	"connection_configuration":             strList(func(p *Provider) *[]string { return &p.ConnectionConfiguration }),
	"installation":                         str(func(p *Provider) *string { return &p.Installation }),
	"signature_method":                     str(func(p *Provider) *string { return &p.SignatureMethod }),
	"signature":                            func(d *decoder, p *Provider, path string, v any) { p.Signature = decodeSignature(d, path, v) },
	"token":                                func(d *decoder, p *Provider, path string, v any) { p.Token = decodeTokenSpec(d, path, v) },
	"proxy":                                func(d *decoder, p *Provider, path string, v any) { p.Proxy = decodeProxy(d, path, v) },
	"connection_config":                    func(d *decoder, p *Provider, path string, v any) { p.ConnectionConfig = decodeFields(d, path, v) },
	"credentials":                          func(d *decoder, p *Provider, path string, v any) { p.Credentials = decodeFields(d, path, v) },
	"webhook_routing_script":               str(func(p *Provider) *string { return &p.WebhookRoutingScript }),
	"webhook_user_defined_secret":          boolean(func(p *Provider) *bool { return &p.WebhookUserDefinedSecret }),
	"webhook_allowed_query_params":         strList(func(p *Provider) *[]string { return &p.WebhookAllowedQueryParams }),
	"post_connection_script":               str(func(p *Provider) *string { return &p.PostConnectionScript }),
	"pre_connection_deletion_script":       str(func(p *Provider) *string { return &p.PreConnectionDeletionScript }),
	"credentials_verification_script":      str(func(p *Provider) *string { return &p.CredentialsVerificationScript }),
	"docs":                                 str(func(p *Provider) *string { return &p.Docs }),
	"docs_connect":                         str(func(p *Provider) *string { return &p.DocsConnect }),
	"setup_guide_url":                      str(func(p *Provider) *string { return &p.SetupGuideURL }),
}

// params decodes a flat parameter map; a nested one (Nango's per-mode
// params) is kept in Extra as it is.
func params(at func(*Provider) *map[string]string) member[Provider] {
	return func(d *decoder, p *Provider, path string, v any) {
		flat, nested := d.params(path, v)
		if nested {
			p.setExtra(path, v)
			return
		}
		*at(p) = flat
	}
}

// decodeProvider converts one entry's fields into a Provider, recording any
// type errors in d. Unknown fields go to Extra untouched.
func decodeProvider(d *decoder, name string, m map[string]any) *Provider {
	p := &Provider{Name: name}
	decodeMembers(d, "", m, p, providerMembers, p.setExtra)
	return p
}

func (p *Provider) setExtra(k string, v any) {
	if p.Extra == nil {
		p.Extra = map[string]any{}
	}
	p.Extra[k] = v
}

var signatureMembers = map[string]member[Signature]{
	"protocol":             str(func(s *Signature) *string { return &s.Protocol }),
	"hmac_secret_encoding": str(func(s *Signature) *string { return &s.HMACSecretEncoding }),
}

func decodeSignature(d *decoder, path string, v any) *Signature {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	s := &Signature{}
	decodeMembers(d, path, m, s, signatureMembers, func(k string, v any) { s.Extra = setKey(s.Extra, k, v) })
	return s
}

var tokenSpecMembers = map[string]member[TokenSpec]{
	"signing_key":   str(func(t *TokenSpec) *string { return &t.SigningKey }),
	"expires_in_ms": integer(func(t *TokenSpec) *int64 { return &t.ExpiresInMs }),
	"header":        strMap(func(t *TokenSpec) *map[string]string { return &t.Header }),
	"payload":       mapping(func(t *TokenSpec) *map[string]any { return &t.Payload }),
}

func decodeTokenSpec(d *decoder, path string, v any) *TokenSpec {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	t := &TokenSpec{}
	decodeMembers(d, path, m, t, tokenSpecMembers, func(k string, v any) { t.Extra = setKey(t.Extra, k, v) })
	return t
}

var proxyMembers = map[string]member[ProxyConfig]{
	"base_url":                    str(func(c *ProxyConfig) *string { return &c.BaseURL }),
	"headers":                     strMap(func(c *ProxyConfig) *map[string]string { return &c.Headers }),
	"query":                       strMap(func(c *ProxyConfig) *map[string]string { return &c.Query }),
	"body":                        mapping(func(c *ProxyConfig) *map[string]any { return &c.Body }),
	"connection_config":           strMap(func(c *ProxyConfig) *map[string]string { return &c.ConnectionConfig }),
	"retry":                       func(d *decoder, c *ProxyConfig, path string, v any) { c.Retry = decodeRetry(d, path, v) },
	"decompress":                  boolean(func(c *ProxyConfig) *bool { return &c.Decompress }),
	"forward_headers_on_redirect": boolean(func(c *ProxyConfig) *bool { return &c.ForwardHeadersOnRedirect }),
	"paginate":                    func(d *decoder, c *ProxyConfig, path string, v any) { c.Paginate = decodePaginate(d, path, v) },
	"verification":                func(d *decoder, c *ProxyConfig, path string, v any) { c.Verification = decodeVerification(d, path, v) },
	"rate_limit":                  func(d *decoder, c *ProxyConfig, path string, v any) { c.RateLimit = decodeRateLimit(d, path, v) },
}

func decodeProxy(d *decoder, path string, v any) *ProxyConfig {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	c := &ProxyConfig{}
	decodeMembers(d, path, m, c, proxyMembers, func(k string, v any) { c.Extra = setKey(c.Extra, k, v) })
	return c
}

var retryMembers = map[string]member[RetryConfig]{
	"at":         strOrList(func(r *RetryConfig) *[]string { return &r.At }),
	"after":      strOrList(func(r *RetryConfig) *[]string { return &r.After }),
	"remaining":  str(func(r *RetryConfig) *string { return &r.Remaining }),
	"error_code": strOrList(func(r *RetryConfig) *[]string { return &r.ErrorCode }),
	"in_body": func(d *decoder, r *RetryConfig, path string, v any) {
		if ib := d.strMap(path, v); ib != nil {
			r.InBody = &RetryInBody{Path: ib["path"], Value: ib["value"], Strategy: ib["strategy"]}
		}
	},
}

func decodeRetry(d *decoder, path string, v any) *RetryConfig {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	r := &RetryConfig{}
	decodeMembers(d, path, m, r, retryMembers, func(k string, v any) { r.Extra = setKey(r.Extra, k, v) })
	return r
}

var paginateMembers = map[string]member[PaginateConfig]{
	"type":                        str(func(c *PaginateConfig) *string { return &c.Type }),
	"cursor_path_in_response":     str(func(c *PaginateConfig) *string { return &c.CursorPathInResponse }),
	"cursor_name_in_request":      str(func(c *PaginateConfig) *string { return &c.CursorNameInRequest }),
	"limit_name_in_request":       str(func(c *PaginateConfig) *string { return &c.LimitNameInRequest }),
	"response_path":               str(func(c *PaginateConfig) *string { return &c.ResponsePath }),
	"link_rel_in_response_header": str(func(c *PaginateConfig) *string { return &c.LinkRelInResponseHeader }),
	"link_path_in_response_body":  str(func(c *PaginateConfig) *string { return &c.LinkPathInResponseBody }),
	"offset_name_in_request":      str(func(c *PaginateConfig) *string { return &c.OffsetNameInRequest }),
	"offset_start_value": func(d *decoder, c *PaginateConfig, path string, v any) {
		n := d.integer(path, v)
		c.OffsetStartValue = &n
	},
	"offset_calculation_method": str(func(c *PaginateConfig) *string { return &c.OffsetCalculationMethod }),
}

func decodePaginate(d *decoder, path string, v any) *PaginateConfig {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	c := &PaginateConfig{}
	decodeMembers(d, path, m, c, paginateMembers, func(k string, v any) { c.Extra = setKey(c.Extra, k, v) })
	if c.Type != "" && !slices.Contains(PaginationTypes(), c.Type) {
		d.fail(join(path, "type"), "unknown pagination type %q (want %s)", c.Type, paginationTypeList())
	}
	return c
}

var verificationMembers = map[string]member[VerificationConfig]{
	"method": str(func(c *VerificationConfig) *string { return &c.Method }),
	"endpoints": func(d *decoder, c *VerificationConfig, path string, v any) {
		c.Endpoints = append(c.Endpoints, d.strList(path, v)...)
	},
	// Nango's older single-endpoint spelling.
	"endpoint": func(d *decoder, c *VerificationConfig, path string, v any) {
		c.Endpoints = append(c.Endpoints, d.str(path, v))
	},
	"base_url_override": str(func(c *VerificationConfig) *string { return &c.BaseURLOverride }),
	"headers":           strMap(func(c *VerificationConfig) *map[string]string { return &c.Headers }),
	"data":              func(_ *decoder, c *VerificationConfig, _ string, v any) { c.Data = v },
}

func decodeVerification(d *decoder, path string, v any) *VerificationConfig {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	c := &VerificationConfig{}
	decodeMembers(d, path, m, c, verificationMembers, func(k string, v any) { c.Extra = setKey(c.Extra, k, v) })
	return c
}

var configFieldMembers = map[string]member[ConfigField]{
	"type":          str(func(f *ConfigField) *string { return &f.Type }),
	"title":         str(func(f *ConfigField) *string { return &f.Title }),
	"description":   str(func(f *ConfigField) *string { return &f.Description }),
	"example":       str(func(f *ConfigField) *string { return &f.Example }),
	"pattern":       str(func(f *ConfigField) *string { return &f.Pattern }),
	"format":        str(func(f *ConfigField) *string { return &f.Format }),
	"enum":          strList(func(f *ConfigField) *[]string { return &f.Enum }),
	"order":         integer(func(f *ConfigField) *int64 { return &f.Order }),
	"default_value": str(func(f *ConfigField) *string { return &f.DefaultValue }),
	"prefix":        str(func(f *ConfigField) *string { return &f.Prefix }),
	"suffix":        str(func(f *ConfigField) *string { return &f.Suffix }),
	"doc_section":   str(func(f *ConfigField) *string { return &f.DocSection }),
	"optional":      boolean(func(f *ConfigField) *bool { return &f.Optional }),
	"hidden":        boolean(func(f *ConfigField) *bool { return &f.Hidden }),
	"automated":     boolean(func(f *ConfigField) *bool { return &f.Automated }),
	"secret":        boolean(func(f *ConfigField) *bool { return &f.Secret }),
}

func decodeFields(d *decoder, path string, v any) map[string]ConfigField {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	out := make(map[string]ConfigField, len(m))
	for _, name := range sortedKeys(m) {
		fp := join(path, name)
		fm := d.mapping(fp, m[name])
		if fm == nil {
			continue
		}
		var f ConfigField
		decodeMembers(d, fp, fm, &f, configFieldMembers, func(k string, v any) { f.Extra = setKey(f.Extra, k, v) })
		out[name] = f
	}
	return out
}

func setKey(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[k] = v
	return m
}
