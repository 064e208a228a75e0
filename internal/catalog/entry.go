package catalog

// decodeProvider converts one entry's fields into a Provider, recording any
// type errors in d. Unknown fields go to Extra untouched.
func decodeProvider(d *decoder, name string, m map[string]any) *Provider {
	p := &Provider{Name: name}
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch k {
		case "display_name":
			p.DisplayName = d.str(k, v)
		case "categories":
			p.Categories = d.strList(k, v)
		case "auth_mode":
			p.AuthMode = d.str(k, v)
		case "alias":
			p.Alias = d.str(k, v)
		case "authorization_url":
			p.AuthorizationURL = d.str(k, v)
		case "token_url":
			if _, ok := v.(map[string]any); ok {
				p.TokenURLByMode = d.strMap(k, v)
			} else {
				p.TokenURL = d.str(k, v)
			}
		case "refresh_url":
			p.RefreshURL = d.str(k, v)
		case "request_url":
			p.RequestURL = d.str(k, v)
		case "authorization_params", "token_params", "refresh_params", "request_params":
			flat, nested := d.params(k, v)
			if nested {
				p.setExtra(k, v)
				continue
			}
			switch k {
			case "authorization_params":
				p.AuthorizationParams = flat
			case "token_params":
				p.TokenParams = flat
			case "refresh_params":
				p.RefreshParams = flat
			default:
				p.RequestParams = flat
			}
		case "authorization_method":
			p.AuthorizationMethod = d.str(k, v)
		case "body_format":
			p.BodyFormat = d.str(k, v)
		case "token_request_auth_method":
			p.TokenRequestAuthMethod = d.str(k, v)
		case "scope_separator":
			p.ScopeSeparator = d.str(k, v)
		case "default_scopes":
			p.DefaultScopes = d.strList(k, v)
		case "disable_pkce":
			p.DisablePKCE = d.boolean(k, v)
		case "authorization_url_replacements":
			p.AuthorizationURLReplacements = d.strMap(k, v)
		case "authorization_url_fragment":
			p.AuthorizationURLFragment = d.str(k, v)
		case "authorization_url_skip_encode":
			p.AuthorizationURLSkipEncode = d.strList(k, v)
		case "authorization_url_skip_empty":
			p.AuthorizationURLSkipEmpty = d.boolean(k, v)
		case "authorization_code_param_in_callback":
			p.AuthorizationCodeParamInCallback = d.str(k, v)
		case "redirect_uri_metadata":
			p.RedirectURIMetadata = d.strList(k, v)
		case "token_response_metadata":
			p.TokenResponseMetadata = d.strList(k, v)
		case "alternate_access_token_response_path":
			p.AlternateAccessTokenResponsePath = d.str(k, v)
		case "expires_in_unit":
			p.ExpiresInUnit = d.str(k, v)
		case "token_expiration_buffer":
			p.TokenExpirationBuffer = d.integer(k, v)
		case "connection_configuration":
			p.ConnectionConfiguration = d.strList(k, v)
		case "installation":
			p.Installation = d.str(k, v)
		case "signature_method":
			p.SignatureMethod = d.str(k, v)
		case "signature":
			p.Signature = decodeSignature(d, k, v)
		case "token":
			p.Token = decodeTokenSpec(d, k, v)
		case "proxy":
			p.Proxy = decodeProxy(d, k, v)
		case "connection_config":
			p.ConnectionConfig = decodeFields(d, k, v)
		case "credentials":
			p.Credentials = decodeFields(d, k, v)
		case "webhook_routing_script":
			p.WebhookRoutingScript = d.str(k, v)
		case "webhook_user_defined_secret":
			p.WebhookUserDefinedSecret = d.boolean(k, v)
		case "webhook_allowed_query_params":
			p.WebhookAllowedQueryParams = d.strList(k, v)
		case "post_connection_script":
			p.PostConnectionScript = d.str(k, v)
		case "pre_connection_deletion_script":
			p.PreConnectionDeletionScript = d.str(k, v)
		case "credentials_verification_script":
			p.CredentialsVerificationScript = d.str(k, v)
		case "docs":
			p.Docs = d.str(k, v)
		case "docs_connect":
			p.DocsConnect = d.str(k, v)
		case "setup_guide_url":
			p.SetupGuideURL = d.str(k, v)
		default:
			p.setExtra(k, v)
		}
	}
	return p
}

func (p *Provider) setExtra(k string, v any) {
	if p.Extra == nil {
		p.Extra = map[string]any{}
	}
	p.Extra[k] = v
}

func decodeSignature(d *decoder, path string, v any) *Signature {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	s := &Signature{}
	for _, k := range sortedKeys(m) {
		switch k {
		case "protocol":
			s.Protocol = d.str(join(path, k), m[k])
		case "hmac_secret_encoding":
			s.HMACSecretEncoding = d.str(join(path, k), m[k])
		default:
			s.Extra = setKey(s.Extra, k, m[k])
		}
	}
	return s
}

func decodeTokenSpec(d *decoder, path string, v any) *TokenSpec {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	t := &TokenSpec{}
	for _, k := range sortedKeys(m) {
		p := join(path, k)
		switch k {
		case "signing_key":
			t.SigningKey = d.str(p, m[k])
		case "expires_in_ms":
			t.ExpiresInMs = d.integer(p, m[k])
		case "header":
			t.Header = d.strMap(p, m[k])
		case "payload":
			t.Payload = d.mapping(p, m[k])
		default:
			t.Extra = setKey(t.Extra, k, m[k])
		}
	}
	return t
}

func decodeProxy(d *decoder, path string, v any) *ProxyConfig {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	c := &ProxyConfig{}
	for _, k := range sortedKeys(m) {
		p, item := join(path, k), m[k]
		switch k {
		case "base_url":
			c.BaseURL = d.str(p, item)
		case "headers":
			c.Headers = d.strMap(p, item)
		case "query":
			c.Query = d.strMap(p, item)
		case "body":
			c.Body = d.mapping(p, item)
		case "connection_config":
			c.ConnectionConfig = d.strMap(p, item)
		case "retry":
			c.Retry = decodeRetry(d, p, item)
		case "decompress":
			c.Decompress = d.boolean(p, item)
		case "forward_headers_on_redirect":
			c.ForwardHeadersOnRedirect = d.boolean(p, item)
		case "paginate":
			c.Paginate = decodePaginate(d, p, item)
		case "verification":
			c.Verification = decodeVerification(d, p, item)
		case "rate_limit":
			c.RateLimit = decodeRateLimit(d, p, item)
		default:
			c.Extra = setKey(c.Extra, k, item)
		}
	}
	return c
}

func decodeRetry(d *decoder, path string, v any) *RetryConfig {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	r := &RetryConfig{}
	for _, k := range sortedKeys(m) {
		p, item := join(path, k), m[k]
		switch k {
		case "at":
			r.At = d.strOrList(p, item)
		case "after":
			r.After = d.strOrList(p, item)
		case "remaining":
			r.Remaining = d.str(p, item)
		case "error_code":
			r.ErrorCode = d.strOrList(p, item)
		case "in_body":
			if ib := d.strMap(p, item); ib != nil {
				r.InBody = &RetryInBody{Path: ib["path"], Value: ib["value"], Strategy: ib["strategy"]}
			}
		default:
			r.Extra = setKey(r.Extra, k, item)
		}
	}
	return r
}

func decodePaginate(d *decoder, path string, v any) *PaginateConfig {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	c := &PaginateConfig{}
	for _, k := range sortedKeys(m) {
		p, item := join(path, k), m[k]
		switch k {
		case "type":
			c.Type = d.str(p, item)
		case "cursor_path_in_response":
			c.CursorPathInResponse = d.str(p, item)
		case "cursor_name_in_request":
			c.CursorNameInRequest = d.str(p, item)
		case "limit_name_in_request":
			c.LimitNameInRequest = d.str(p, item)
		case "response_path":
			c.ResponsePath = d.str(p, item)
		case "link_rel_in_response_header":
			c.LinkRelInResponseHeader = d.str(p, item)
		case "link_path_in_response_body":
			c.LinkPathInResponseBody = d.str(p, item)
		case "offset_name_in_request":
			c.OffsetNameInRequest = d.str(p, item)
		case "offset_start_value":
			n := d.integer(p, item)
			c.OffsetStartValue = &n
		case "offset_calculation_method":
			c.OffsetCalculationMethod = d.str(p, item)
		default:
			c.Extra = setKey(c.Extra, k, item)
		}
	}
	switch c.Type {
	case "", "cursor", "link", "offset":
	default:
		d.fail(join(path, "type"), "unknown pagination type %q (want cursor, link or offset)", c.Type)
	}
	return c
}

func decodeVerification(d *decoder, path string, v any) *VerificationConfig {
	m := d.mapping(path, v)
	if m == nil {
		return nil
	}
	c := &VerificationConfig{}
	for _, k := range sortedKeys(m) {
		p, item := join(path, k), m[k]
		switch k {
		case "method":
			c.Method = d.str(p, item)
		case "endpoints":
			c.Endpoints = append(c.Endpoints, d.strList(p, item)...)
		case "endpoint": // Nango's older single-endpoint spelling
			c.Endpoints = append(c.Endpoints, d.str(p, item))
		case "base_url_override":
			c.BaseURLOverride = d.str(p, item)
		case "headers":
			c.Headers = d.strMap(p, item)
		case "data":
			c.Data = item
		default:
			c.Extra = setKey(c.Extra, k, item)
		}
	}
	return c
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
		for _, k := range sortedKeys(fm) {
			p, item := join(fp, k), fm[k]
			switch k {
			case "type":
				f.Type = d.str(p, item)
			case "title":
				f.Title = d.str(p, item)
			case "description":
				f.Description = d.str(p, item)
			case "example":
				f.Example = d.str(p, item)
			case "pattern":
				f.Pattern = d.str(p, item)
			case "format":
				f.Format = d.str(p, item)
			case "enum":
				f.Enum = d.strList(p, item)
			case "order":
				f.Order = d.integer(p, item)
			case "default_value":
				f.DefaultValue = d.str(p, item)
			case "prefix":
				f.Prefix = d.str(p, item)
			case "suffix":
				f.Suffix = d.str(p, item)
			case "doc_section":
				f.DocSection = d.str(p, item)
			case "optional":
				f.Optional = d.boolean(p, item)
			case "hidden":
				f.Hidden = d.boolean(p, item)
			case "automated":
				f.Automated = d.boolean(p, item)
			case "secret":
				f.Secret = d.boolean(p, item)
			default:
				f.Extra = setKey(f.Extra, k, item)
			}
		}
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
