package catalog

import (
	"errors"
	"strings"
	"testing"
)

const okEntry = `
ok:
    display_name: OK
    auth_mode: API_KEY
    proxy:
        base_url: https://api.ok.example
        headers:
            authorization: Bearer ${apiKey}
    docs: https://ok.example
`

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"default_scopes not a list", "acme:\n  auth_mode: OAUTH2\n  authorization_url: https://a\n  token_url: https://t\n  default_scopes: 5\n",
			[]string{`test.yaml: provider "acme": field "default_scopes": expected a list of strings`}},
		{"proxy not a mapping", "acme:\n  auth_mode: API_KEY\n  proxy: x\n",
			[]string{`provider "acme"`, `field "proxy": expected a mapping`}},
		{"missing auth_mode", "acme:\n  display_name: Acme\n",
			[]string{`provider "acme"`, `field "auth_mode": missing`}},
		{"OAUTH2 without token_url", "acme:\n  auth_mode: OAUTH2\n  authorization_url: https://a\n",
			[]string{`provider "acme"`, `field "token_url"`}},
		{"OAUTH2 without authorization_url", "acme:\n  auth_mode: OAUTH2\n  token_url: https://t\n",
			[]string{`provider "acme"`, `field "authorization_url"`}},
		{"OAUTH2_CC without token_url", "acme:\n  auth_mode: OAUTH2_CC\n",
			[]string{`provider "acme"`, `field "token_url"`}},
		{"OAUTH1 without request_url", "acme:\n  auth_mode: OAUTH1\n  authorization_url: https://a\n  token_url: https://t\n",
			[]string{`provider "acme"`, `field "request_url"`}},
		{"alias to missing entry", "acme:\n  alias: nobody\n",
			[]string{`provider "acme"`, `field "alias"`, `"nobody"`}},
		{"alias cycle", "a:\n  alias: b\nb:\n  alias: a\n",
			[]string{`field "alias"`, "alias cycle"}},
		{"retry header list holds a mapping", "acme:\n  auth_mode: NONE\n  proxy:\n    retry:\n      at:\n        x: y\n",
			[]string{`provider "acme"`, `field "proxy.retry.at"`}},
		{"config field flag not a boolean", "acme:\n  auth_mode: API_KEY\n  connection_config:\n    subdomain:\n      type: string\n      optional: maybe\n",
			[]string{`field "connection_config.subdomain.optional": expected true or false`}},
		{"credential definition not a mapping", "acme:\n  auth_mode: API_KEY\n  credentials:\n    apiKey: x\n",
			[]string{`field "credentials.apiKey": expected a mapping`}},
		{"disable_pkce not a boolean", "acme:\n  auth_mode: NONE\n  disable_pkce: [1]\n",
			[]string{`field "disable_pkce": expected true or false, got a list`}},
		{"unknown pagination type", "acme:\n  auth_mode: NONE\n  proxy:\n    paginate:\n      type: pages\n",
			[]string{`field "proxy.paginate.type": unknown pagination type "pages"`}},
		{"header value not a string", "acme:\n  auth_mode: NONE\n  proxy:\n    headers:\n      authorization: [a]\n",
			[]string{`field "proxy.headers.authorization": expected a string, got a list`}},
		{"offset start not a number", "acme:\n  auth_mode: NONE\n  proxy:\n    paginate:\n      type: offset\n      offset_start_value: one\n",
			[]string{`field "proxy.paginate.offset_start_value": expected a whole number`}},
		{"entry not a mapping", "acme: 5\n",
			[]string{`test.yaml: provider "acme": expected a mapping of provider fields, got a number`}},
		{"not YAML", "acme: [unclosed\n",
			[]string{"test.yaml: invalid YAML"}},
		{"top level is a list", "- acme\n",
			[]string{"test.yaml: invalid YAML"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(okEntry+tt.yaml), "test.yaml")
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), `provider "ok"`) {
				t.Errorf("the valid entry was blamed: %v", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error is not a *FieldError: %T", err)
			}
		})
	}
}

func TestParseReportsEveryError(t *testing.T) {
	t.Parallel()
	src := "zeta:\n  auth_mode: API_KEY\n  categories: x\nalpha:\n  auth_mode: API_KEY\n  proxy: 1\n  docs: [a]\n"
	_, err := Parse([]byte(src), "multi.yaml")
	if err == nil {
		t.Fatal("want errors")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		`multi.yaml: provider "alpha": field "docs": expected a string, got a list`,
		`multi.yaml: provider "alpha": field "proxy": expected a mapping, got a number`,
		`multi.yaml: provider "zeta": field "categories": expected a list of strings, got a string`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors =\n%s\nwant (sorted, all of them)\n%s", err, strings.Join(want, "\n"))
	}
}

func TestParseLenientShapes(t *testing.T) {
	t.Parallel()
	// Shapes Nango's own file uses that a strict typed decoder would reject.
	src := `
acme:
    display_name: Acme
    auth_mode: OAUTH2
    authorization_url: https://acme.example/authorize
    token_url: https://acme.example/token
    authorization_params:
        force_verify: false
        session: false
    token_params:
        expiring: 1
        expires_in: '1800'
    proxy:
        base_url: https://api.acme.example
        retry:
            after: retry-after
            in_body:
                path: error.message
                value: /Retry after (.+)/
                strategy: at
        paginate:
            type: offset
            offset_start_value: 0
        verification:
            endpoint: /me
            data: { 'statement': 'SELECT 1' }
    webhook_routing_script: ''
    token_expiration_buffer: 30
    connection_config:
        installation.uuid:
            type: string
            title: ''
            description: ''
            automated: true
            visible_when:
                field: mode
                equals: custom
    docs: https://acme.example/docs
acme-two-step:
    display_name: Acme (two step)
    auth_mode: TWO_STEP
    token_url: https://acme.example/login
    token_params:
        request:
            control:
                uniqueid: false
    additional_steps:
        - token_url: ${step1.next}
          token_request_method: GET
    docs: https://acme.example/docs
`
	got, err := Parse([]byte(src), "lenient.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	p := got["acme"]
	if p.AuthorizationParams["force_verify"] != "false" || p.TokenParams["expiring"] != "1" {
		t.Errorf("scalar params should become strings: %v %v", p.AuthorizationParams, p.TokenParams)
	}
	if got, want := p.Proxy.Retry.After, []string{"retry-after"}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("retry.after = %v, want %v", got, want)
	}
	if p.Proxy.Retry.InBody == nil || p.Proxy.Retry.InBody.Strategy != "at" {
		t.Errorf("retry.in_body = %+v", p.Proxy.Retry.InBody)
	}
	if p.Proxy.Paginate.OffsetStartValue == nil || *p.Proxy.Paginate.OffsetStartValue != 0 {
		t.Errorf("offset_start_value = %v, want 0", p.Proxy.Paginate.OffsetStartValue)
	}
	if len(p.Proxy.Verification.Endpoints) != 1 || p.Proxy.Verification.Endpoints[0] != "/me" {
		t.Errorf("verification.endpoint = %v", p.Proxy.Verification.Endpoints)
	}
	if _, ok := p.ConnectionConfig["installation.uuid"].Extra["visible_when"]; !ok {
		t.Errorf("visible_when should be kept in Extra")
	}
	two := got["acme-two-step"]
	if two.Supported() || two.TokenParams != nil || two.Extra["token_params"] == nil || two.Extra["additional_steps"] == nil {
		t.Errorf("two-step entry: supported=%v token_params=%v extra=%v", two.Supported(), two.TokenParams, two.Extra)
	}
}

func TestParseEmpty(t *testing.T) {
	t.Parallel()
	got, err := Parse(nil, "empty.yaml")
	if err != nil || len(got) != 0 {
		t.Errorf("Parse(nil) = %v, %v; want an empty map", got, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(okEntry))
	// A few real entries rather than the whole embedded file: the fuzzer
	// minimizes every new interesting input, which takes minutes on 60 KB.
	for _, name := range []string{"github-app-oauth", "google-mail", "ghost-admin", "zoho-crm"} {
		f.Add(builtinEntry(f, name))
	}
	f.Add([]byte("a:\n  alias: b\nb:\n  alias: a\n"))
	f.Add([]byte("a:\n  auth_mode: NONE\n  x: .nan\n  proxy:\n    body:\n      y: -.inf\n"))
	f.Add([]byte("a: &x\n  auth_mode: NONE\nb: *x\n"))
	f.Add([]byte("a:\n  auth_mode: OAUTH2\n  token_url:\n    OAUTH2: https://x\n  proxy:\n    paginate:\n      offset_start_value: 1e99\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		providers, err := Parse(data, "fuzz.yaml")
		if err != nil {
			return
		}
		for _, p := range providers {
			if p.AuthMode == "" {
				t.Fatalf("provider %q loaded without an auth mode", p.Name)
			}
			if _, err := p.MarshalJSON(); err != nil {
				t.Fatalf("provider %q does not marshal: %v", p.Name, err)
			}
		}
	})
}

// builtinEntry cuts one entry's text out of the embedded file.
func builtinEntry(tb testing.TB, name string) []byte {
	tb.Helper()
	src := string(builtinYAML)
	start := strings.Index(src, "\n"+name+":\n")
	if start < 0 {
		tb.Fatalf("no built-in entry %q", name)
	}
	rest := src[start+1:]
	if end := strings.Index(rest, "\n\n"); end >= 0 {
		rest = rest[:end+1]
	}
	return []byte(rest)
}
