package google

import (
	"strconv"
	"strings"
)

// catalogTemplate mirrors the built-in catalog's google entries with every
// URL moved onto the simulator ({{base}} is its base URL). The google-*
// entries alias google, as in the built-in catalog, and repeat the OAuth
// URLs so each entry reads correctly on its own.
const catalogTemplate = `google:
    display_name: Google (simulated)
    categories:
        - productivity
        - communication
    auth_mode: OAUTH2
    authorization_url: {{base}}/google/o/oauth2/v2/auth
    token_url: {{base}}/google/token
    authorization_params:
        response_type: code
        access_type: offline
        prompt: consent
    token_params:
        grant_type: authorization_code
    refresh_params:
        grant_type: refresh_token
    proxy:
        base_url: {{base}}/google
        retry:
            after:
                - retry-after
        paginate:
            type: cursor
            cursor_path_in_response: nextPageToken
            cursor_name_in_request: pageToken
            limit_name_in_request: maxResults
            response_path: items
    docs: https://developers.google.com/identity/protocols/oauth2/web-server

google-calendar:
    display_name: Google Calendar (simulated)
    categories:
        - productivity
        - popular
    alias: google
    authorization_url: {{base}}/google/o/oauth2/v2/auth
    token_url: {{base}}/google/token
    proxy:
        base_url: {{base}}/google/calendar/v3
        paginate:
            type: cursor
            cursor_path_in_response: nextPageToken
            cursor_name_in_request: pageToken
            limit_name_in_request: maxResults
            response_path: items
    docs: https://developers.google.com/calendar/api/guides/overview

google-mail:
    display_name: Gmail (simulated)
    categories:
        - communication
        - popular
    alias: google
    authorization_url: {{base}}/google/o/oauth2/v2/auth
    token_url: {{base}}/google/token
    proxy:
        base_url: {{base}}/google/gmail/v1
        paginate:
            type: cursor
            cursor_path_in_response: nextPageToken
            cursor_name_in_request: pageToken
            limit_name_in_request: maxResults
            response_path: messages
    docs: https://developers.google.com/gmail/api/guides

google-sheet:
    display_name: Google Sheets (simulated)
    categories:
        - productivity
    alias: google
    authorization_url: {{base}}/google/o/oauth2/v2/auth
    token_url: {{base}}/google/token
    proxy:
        base_url: {{base}}/google/v4
        rate_limit:
            requests: {{sheets_per_minute}}
            interval: 1m
    docs: https://developers.google.com/sheets/api/guides/concepts

`

// CatalogYAML implements sim.Provider: the google entries of Nango's
// providers.yaml, pointed at the simulator.
func (p *Provider) CatalogYAML(baseURL string) string {
	return strings.NewReplacer("{{base}}", strings.TrimRight(baseURL, "/"),
		"{{sheets_per_minute}}", strconv.Itoa(p.opts.SheetsRequestsPerMinute)).Replace(catalogTemplate)
}
