package catalog

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The synthetic file stands in for a user's copy of Nango's providers.yaml
// (about a thousand entries). Each kind below reproduces a field shape the
// real file uses, so a Nango release that ships only these shapes loads.

type synthKind struct {
	name string
	// unsupported: the entry is listed but not usable.
	unsupported bool
	yaml        func(name string, i int) string
}

// synthKindCount is len(synthKinds), spelled out because the alias kind
// needs it inside the table.
const synthKindCount = 15

var synthKinds = []synthKind{
	{"oauth2-full", false, func(n string, i int) string {
		return fmt.Sprintf(`%[1]s:
    display_name: Synthetic %[2]d
    categories:
        - crm
        - popular
    auth_mode: OAUTH2
    authorization_url: https://${connectionConfig.subdomain}.example.com/oauth/authorize
    token_url: https://${connectionConfig.subdomain}.example.com/oauth/token || https://example.com/oauth/token
    refresh_url: https://example.com/oauth/refresh
    scope_separator: ','
    default_scopes:
        - offline_access
    disable_pkce: true
    authorization_url_skip_empty: true
    authorization_url_skip_encode:
        - scopes
    authorization_params:
        response_type: code
        access_type: offline
        force_verify: false
        session: false
    token_params:
        grant_type: authorization_code
        expiring: 1
        expires_in: '1800'
    refresh_params:
        grant_type: refresh_token
    authorization_url_replacements:
        client_id: client_key
        response_type=: responseType=
    redirect_uri_metadata:
        - realmId
    token_response_metadata:
        - instance_url
        - incoming_webhook.url
    connection_configuration:
        - portalId
    token_request_auth_method: basic
    authorization_method: header
    body_format: json
    token_expiration_buffer: 30
    expires_in_unit: milliseconds
    proxy:
        base_url: https://${connectionConfig.subdomain}.example.com/api
        headers:
            'x-version': '2024-01-01'
            user-agent: ${connectionConfig.appDetails} || App (support@example.com)
        query:
            shop: ${connectionConfig.subdomain}
        connection_config:
            realmId: ${connectionConfig.realmId}
        decompress: true
        forward_headers_on_redirect: true
        retry:
            at:
                - 'x-ratelimit-reset'
            after:
                - 'retry-after'
            remaining: 'x-ratelimit-remaining'
            error_code:
                - '403'
                - '5xx'
            in_body:
                path: error.message
                value: /Retry after (.+)/
                strategy: at
        paginate:
            type: cursor
            cursor_path_in_response: paging.next.after
            cursor_name_in_request: after
            limit_name_in_request: limit
            response_path: results
    webhook_routing_script: synthWebhookRouting
    webhook_user_defined_secret: true
    webhook_allowed_query_params:
        - nangoConnectionId
    post_connection_script: synthPostConnection
    pre_connection_deletion_script: synthPreConnectionDeletion
    docs: https://example.com/docs/%[1]s
    docs_connect: https://example.com/docs/%[1]s/connect
    setup_guide_url: https://example.com/docs/%[1]s/setup
    connection_config:
        subdomain:
            type: string
            title: Subdomain
            description: The subdomain of your account
            pattern: '^[a-z0-9_-]+$'
            example: domain
            prefix: https://
            suffix: .example.com
            order: 1
            doc_section: '#step-1-finding-your-subdomain'
        appDetails:
            type: string
            title: ''
            description: ''
            automated: true
        realmId:
            type: string
            title: Realm
            description: The realm
            optional: true
            hidden: true # set by the callback
            default_value: ''
        region:
            type: string
            title: Region
            description: Region
            enum:
                - us
                - eu
            visible_when:
                field: subdomain
                equals: eu
            warnings:
                eu: Data stays in the EU.
`, n, i)
	}},
	{"api-key", false, func(n string, i int) string {
		return fmt.Sprintf(`%s:
    display_name: Synthetic API key %d
    categories:
        - dev-tools
    auth_mode: API_KEY
    proxy:
        base_url: https://api.example.com
        headers:
            authorization: Bearer ${apiKey}
            anthropic-version: ${connectionConfig.version}
        query:
            api_key: ${apiKey}
        body:
            auth:
                key: ${apiKey}
        verification:
            method: POST
            endpoints:
                - /v1/me
                - /v2/me
            base_url_override: https://auth.example.com
            headers:
                content-type: application/json
            data:
                query:
                    match_all: {}
                limit: 1
    credentials_verification_script: synthCredentialsVerification
    docs: https://example.com/docs
    connection_config:
        version:
            type: string
            title: Version
            description: API version
            example: '2023-06-01'
    credentials:
        apiKey:
            type: string
            title: API Key
            description: Your API key
            pattern: '^sk-[a-z]+$'
            example: sk-abc
            secret: true
            doc_section: '#step-1'
`, n, i)
	}},
	{"basic", false, func(n string, i int) string {
		return fmt.Sprintf(`%s:
    display_name: Synthetic basic %d
    categories:
        - support
    auth_mode: BASIC
    proxy:
        base_url: https://${connectionConfig.subdomain}.example.com
        headers:
            authorization: 'Basic ${base64(${credentials.username}/token:${credentials.password})}'
            date: '${now:ddd, DD MMM YYYY HH:mm:ss ZZ}'
        retry:
            after: retry-after
        paginate:
            type: link
            link_rel_in_response_header: next
            link_path_in_response_body: links.next
            limit_name_in_request: per_page
        verification:
            endpoint: /api/v2/me
    docs: https://example.com/docs
    credentials:
        username:
            type: string
            title: API Key
            description: Your key
            format: email
        password:
            type: string
            title: ''
            description: ''
            default_value: X
            hidden: true
`, n, i)
	}},
	{"oauth2-cc", false, func(n string, i int) string {
		return fmt.Sprintf(`%s:
    display_name: Synthetic client credentials %d
    categories:
        - hr
    auth_mode: OAUTH2_CC
    token_url: https://login.example.com/${connectionConfig.tenantId}/oauth2/v2.0/token
    token_request_auth_method: basic
    body_format: form
    token_params:
        grant_type: client_credentials
        audience: ${connectionConfig.audience} || https://api.example.com
    token_headers:
        content-type: application/x-www-form-urlencoded
    require_client_certificate: true
    proxy:
        base_url: https://api.example.com
    docs: https://example.com/docs
    connection_config:
        tenantId:
            type: string
            title: Tenant ID
            description: Tenant
            format: uuid
    credentials:
        client_id:
            type: string
            title: Client ID
            description: Client ID
        client_secret:
            type: string
            title: Client Secret
            description: Client Secret
            secret: true
`, n, i)
	}},
	{"oauth1", false, func(n string, i int) string {
		return fmt.Sprintf(`%s:
    display_name: Synthetic OAuth1 %d
    categories:
        - social
    auth_mode: OAUTH1
    request_url: https://api.example.com/oauth/request_token
    authorization_url: https://api.example.com/oauth/authorize
    token_url: https://api.example.com/oauth/access_token
    signature_method: 'HMAC-SHA1'
    request_params:
        x_auth_access_type: write
    authorization_params:
        expiration: never
    proxy:
        base_url: https://api.example.com
    docs: https://example.com/docs
`, n, i)
	}},
	{"jwt", false, func(n string, i int) string {
		return fmt.Sprintf(`%s:
    display_name: Synthetic JWT %d
    categories:
        - e-commerce
    auth_mode: JWT
    signature:
        protocol: EC
        hmac_secret_encoding: utf8
    token:
        signing_key: ${credentials.privateKey}
        expires_in_ms: 900000
        header:
            alg: ES256
            kid: ${credentials.privateKeyId}
            typ: JWT
        payload:
            iss: ${credentials.issuerId}
            aud: appstoreconnect-v1
            scope:
                - ${connectionConfig.scope}
    proxy:
        base_url: https://api.example.com
        headers:
            authorization: Bearer ${accessToken}
    docs: https://example.com/docs
`, n, i)
	}},
	{"app-and-custom", false, func(n string, i int) string {
		return fmt.Sprintf(`%s:
    display_name: Synthetic custom %d
    categories:
        - dev-tools
    auth_mode: CUSTOM
    authorization_url: ${connectionConfig.appPublicLink}/installations/new
    authorization_url_skip_encode:
        - base_url
    token_url:
        OAUTH2: https://example.com/login/oauth/access_token
        APP: https://api.example.com/app/installations/${connectionConfig.installation_id}/access_tokens
    proxy:
        base_url: https://api.example.com
    docs: https://example.com/docs
`, n, i)
	}},
	{"none", false, func(n string, i int) string {
		return fmt.Sprintf(`%s:
    display_name: Synthetic none %d
    categories:
        - other
    auth_mode: NONE
    webhook_routing_script: unauthenticatedWebhookRouting
    docs: https://example.com/docs
`, n, i)
	}},
	{"offset-and-outbound", false, func(n string, i int) string {
		return fmt.Sprintf(`%s:
    display_name: Synthetic outbound %d
    installation: outbound
    categories:
        - dev-tools
    auth_mode: OAUTH2
    token_url: https://example.com/api/0/installations/${connectionConfig.installation.uuid}/authorizations/
    authorization_code_param_in_webhook: data.installation.code
    webhook_response_metadata:
        - installation.uuid
    proxy:
        base_url: https://example.com/api
        paginate:
            type: offset
            offset_name_in_request: page
            offset_start_value: 0
            offset_calculation_method: per-page
            limit_name_in_request: count
    docs: https://example.com/docs
    connection_config:
        installation.uuid:
            type: string
            title: ''
            description: ''
            automated: true
        accounts-server:
            type: string
            title: ''
            description: ''
            automated: true
`, n, i)
	}},
	{"two-step", true, func(n string, i int) string {
		return fmt.Sprintf(`%s:
    display_name: Synthetic two step %d
    categories:
        - accounting
    auth_mode: TWO_STEP
    body_format: xml
    token_url: https://example.com/xmlgw
    token_request_method: GET
    token_params:
        request:
            control:
                senderid: ${credentials.senderId}
                uniqueid: false
                dtdversion: '3.0'
            operation:
                content:
                    function:
                        $controlid: '{{$guid}}'
                        getAPISession: ''
    token_headers:
        content-type: application/xml
        x-av-sig: '${sha256Hex(${base64(${random}${credentials.appId})})}'
    refresh_token_params:
        refresh_token: ${refresh_token}
    refresh_token_headers:
        authorization: Bearer ${refresh_token}
    token_response:
        token: response.operation.result.data.api.sessionid
        token_expiration: response.operation.authentication.sessiontimeout
        token_expiration_strategy: expireAt
    token_response_headers:
        - set-cookie
    token_expires_in_ms: 0
    additional_steps:
        - body_format: form
          token_url: ${step1.IdentityServiceUrl}/.well-known/openid-configuration
          token_request_method: GET
        - token_url: ${step2.token_endpoint}
          token_params:
              grant_type: password
    assertion:
        type: jwt
        key: ${assertionOption.privateKey}
        lifetimeInSeconds: 15552000
        header:
            alg: ES256
            x5t#S256: ${credentials.thumbprint}
        payload:
            jti: ${random}
    assertion_option:
        privateKey:
            type: string
            title: Private Key
            description: PEM
    proxy:
        base_url: https://example.com/api
        headers:
            x-credentials: ${accessToken}
    docs: https://example.com/docs
`, n, i)
	}},
	{"mcp", true, func(n string, i int) string {
		return fmt.Sprintf(`%s:
    display_name: Synthetic MCP %d
    categories:
        - mcp
    auth_mode: MCP_OAUTH2
    client_registration: dynamic
    authorization_url: https://mcp.example.com/authorize
    token_url: https://mcp.example.com/token
    registration_url: https://mcp.example.com/register
    registration_params:
        response_types:
            - code
        grant_types:
            - authorization_code
            - refresh_token
    proxy:
        base_url: https://mcp.example.com
        headers:
            accept: application/json,text/event-stream
    docs: https://example.com/docs
`, n, i)
	}},
	{"other-unsupported", true, func(n string, i int) string {
		modes := []string{"TBA", "SIGNATURE", "BILL", "MCP_OAUTH2_GENERIC", "INSTALL_PLUGIN", "APP_STORE", "TABLEAU", "AWS_SIGV4"}
		return fmt.Sprintf(`%s:
    display_name: Synthetic %s %d
    categories:
        - other
    auth_mode: %s
    auth_type: BASIC
    mcp_server_url: https://mcp.example.com
    signature:
        protocol: WSSE
    token:
        expires_in_ms: 300000
    integration_config:
        stsMode:
            type: string
            title: STS Mode
            description: How credentials are issued
            enum:
                - builtin
                - custom
            default_value: builtin
            optional: true
            visible_when:
                field: stsMode
                equals: builtin
            order: 3
    proxy:
        base_url: https://${connectionConfig.service}.${connectionConfig.region}.example.com
        headers:
            authorization: '${awsSigV4(${credentials.username}, ${credentials.password}, us-east-1, iam)}'
            x-amz-date: '${now:YYYYMMDDTHHmmss[Z]}'
    docs: https://example.com/docs
`, n, modes[i%len(modes)], i, modes[i%len(modes)])
	}},
	{"alias", false, func(n string, i int) string {
		// Aliases the oauth2-full entry of the same round, or an alias of it.
		base := fmt.Sprintf("synth-%04d", i-i%synthKindCount)
		return fmt.Sprintf(`%s:
    display_name: Synthetic alias %d
    categories:
        - productivity
    alias: %s
    webhook_routing_script: ''
    proxy:
        base_url: https://alias.example.com
    docs: https://example.com/docs
`, n, i, base)
	}},
	{"alias-of-alias", false, func(n string, i int) string {
		return fmt.Sprintf(`%s:
    alias: synth-%04d
    display_name: Synthetic alias chain %d
    docs: https://example.com/docs
`, n, i-1, i)
	}},
	{"incomplete", true, func(n string, i int) string {
		return fmt.Sprintf(`%s:
    display_name: Synthetic incomplete %d
    categories:
        - legal
    auth_mode: OAUTH2_CC
    proxy:
        headers:
            authorization: Bearer ${apiKey}
        base_url: https://api.example.com
        paginate:
            type: offset
            offset_name_in_request: page
            response_path: data
    docs: https://example.com/docs
`, n, i)
	}},
}

// synthFile writes n synthetic entries plus an entry replacing the built-in
// github, and returns the path and how many entries should be unusable.
func synthFile(t *testing.T, n int) (path string, unsupported int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# yaml-language-server: $schema=./schema.json\n")
	for i := range n {
		k := synthKinds[i%len(synthKinds)]
		b.WriteString(k.yaml(fmt.Sprintf("synth-%04d", i), i))
		b.WriteString("\n")
		if k.unsupported {
			unsupported++
		}
	}
	b.WriteString(`github:
    display_name: GitHub (overlay)
    categories:
        - dev-tools
    auth_mode: OAUTH2
    authorization_url: https://github.example.com/login/oauth/authorize
    token_url: https://github.example.com/login/oauth/access_token
    proxy:
        base_url: https://github.example.com/api/v3
    docs: https://example.com/docs
`)
	path = filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, unsupported
}

func TestLoadNangoScaleFile(t *testing.T) {
	t.Parallel()
	if len(synthKinds) != synthKindCount {
		t.Fatalf("synthKindCount = %d, but there are %d kinds", synthKindCount, len(synthKinds))
	}
	const n = 67 * synthKindCount // about Nango's size, every kind equally often
	path, wantUnsupported := synthFile(t, n)
	builtin := setup(t)

	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := c.Len(), builtin.Len()+n; got != want {
		t.Errorf("Len = %d, want %d (built-in + %d synthetic, github replaced)", got, want, n)
	}
	gotUnsupported := 0
	for _, p := range c.All() {
		if !strings.HasPrefix(p.Name, "synth-") {
			continue
		}
		if !p.Supported() {
			gotUnsupported++
		}
	}
	if gotUnsupported != wantUnsupported {
		t.Errorf("%d synthetic entries unusable, want %d", gotUnsupported, wantUnsupported)
	}
	gh, _ := c.Lookup("github")
	if gh.DisplayName != "GitHub (overlay)" {
		t.Errorf("overlay did not replace github: %q", gh.DisplayName)
	}

	for i, k := range synthKinds {
		p, ok := c.Lookup(fmt.Sprintf("synth-%04d", i))
		if !ok {
			t.Fatalf("synth-%04d (%s) missing", i, k.name)
		}
		if p.Supported() == k.unsupported {
			t.Errorf("%s: Supported() = %v, Unsupported = %q", k.name, p.Supported(), p.Unsupported)
		}
	}
	full, _ := c.Lookup("synth-0000")
	if full.Proxy.Paginate.CursorPathInResponse != "paging.next.after" || full.Proxy.Retry.InBody == nil ||
		full.AuthorizationParams["force_verify"] != "false" || full.ConnectionConfig["realmId"].Hidden != true {
		t.Errorf("oauth2-full decoded wrong: %+v", full)
	}
	alias, _ := c.Lookup(fmt.Sprintf("synth-%04d", 12))
	chain, _ := c.Lookup(fmt.Sprintf("synth-%04d", 13))
	for _, p := range []*Provider{alias, chain} {
		if p.AuthMode != "OAUTH2" || p.TokenURL != full.TokenURL || p.Proxy.BaseURL != "https://alias.example.com" {
			t.Errorf("%s should inherit synth-0000 and override base_url: mode=%q base=%q", p.Name, p.AuthMode, p.Proxy.BaseURL)
		}
	}
	if alias.Proxy.Paginate == nil || alias.WebhookRoutingScript != "" {
		t.Errorf("alias should keep the inherited paginate and its own empty webhook script")
	}
	if !strings.Contains(c.byName["synth-0014"].Unsupported, `"token_url"`) {
		t.Errorf("incomplete entry reason = %q", c.byName["synth-0014"].Unsupported)
	}
	for _, p := range c.All() {
		if _, err := p.MarshalJSON(); err != nil {
			t.Fatalf("%s does not marshal: %v", p.Name, err)
		}
	}
}

// TestParseNangoScaleFileStrict: the linter accepts every synthetic shape
// and rejects only the incomplete entries.
func TestParseNangoScaleFileStrict(t *testing.T) {
	t.Parallel()
	path, _ := synthFile(t, len(synthKinds)*3)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(data, "nango.yaml")
	if err == nil {
		t.Fatal("Parse should reject the incomplete entries")
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.Contains(line, `field "token_url": missing (required for auth mode OAUTH2_CC)`) {
			t.Errorf("unexpected error: %s", line)
		}
	}
	if got := strings.Count(err.Error(), "\n") + 1; got != 3 {
		t.Errorf("%d errors, want 3 (one per incomplete entry)", got)
	}
}

// TestRealNangoFile loads a real copy of Nango's providers.yaml when one is
// named by PATCHBAY_TEST_NANGO_PROVIDERS (it is not vendored here).
func TestRealNangoFile(t *testing.T) {
	t.Parallel()
	path := os.Getenv("PATCHBAY_TEST_NANGO_PROVIDERS")
	if path == "" {
		t.Skip("PATCHBAY_TEST_NANGO_PROVIDERS not set")
	}
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	modes := map[string]int{}
	unusable := 0
	for _, p := range c.All() {
		if _, err := p.MarshalJSON(); err != nil {
			t.Errorf("%s does not marshal: %v", p.Name, err)
		}
		for _, tmpl := range templates(p) {
			if _, err := Placeholders(tmpl); err != nil {
				t.Errorf("%s: template %q does not parse: %v", p.Name, tmpl, err)
			}
		}
		if !p.Supported() {
			unusable++
			modes[p.AuthMode]++
			if AuthModeSupported(p.AuthMode) {
				t.Logf("unusable %s: %s", p.Name, p.Unsupported)
			}
		}
	}
	t.Logf("loaded %d providers, %d unusable, by mode: %v", c.Len(), unusable, modes)
}
