package github

import (
	"fmt"
	"regexp"
	"strings"
)

// CatalogYAML mirrors the built-in github, github-app and
// github-app-oauth entries with the simulator's URLs. An app's public
// link is {base}/github/apps/{slug}, where the simulated install page
// lives, so the appPublicLink pattern accepts that instead of github.com.
func (p *Provider) CatalogYAML(baseURL string) string {
	appLink := regexp.QuoteMeta(baseURL+"/github/apps/") + "[A-Za-z0-9-]+$"
	appLink = "'^" + strings.ReplaceAll(appLink, "'", "''") + "'"
	connectionConfig := fmt.Sprintf(`    connection_config:
        appPublicLink:
            type: string
            title: App public link
            description: The public page of your GitHub App on the simulator, e.g. %[1]s/github/apps/my-app.
            format: uri
            pattern: %[2]s
            automated: true
        installation_id:
            type: string
            title: Installation ID
            description: Set from the installation callback.
            pattern: '^[0-9]+$'
            example: '12345678'
            automated: true
`, baseURL, appLink)
	return fmt.Sprintf(`github:
    display_name: GitHub (User OAuth)
    categories:
        - dev-tools
        - ticketing
        - popular
    auth_mode: OAUTH2
    authorization_url: %[1]s/github/login/oauth/authorize
    token_url: %[1]s/github/login/oauth/access_token
    proxy:
        base_url: %[1]s/github
        rate_limit:
            requests: %[3]d
            interval: 1h
        headers:
            accept: application/vnd.github+json
        retry:
            at:
                - x-ratelimit-reset
            after:
                - retry-after
            remaining: x-ratelimit-remaining
            error_code:
                - '403'
                - '429'
        paginate:
            type: link
            link_rel_in_response_header: next
            limit_name_in_request: per_page
    docs: https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps

github-app:
    display_name: GitHub (App)
    categories:
        - dev-tools
        - ticketing
        - popular
    alias: github
    auth_mode: APP
    authorization_url: ${connectionConfig.appPublicLink}/installations/new
    token_url: %[1]s/github/app/installations/${connectionConfig.installation_id}/access_tokens
%[2]s    docs: https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation

github-app-oauth:
    display_name: GitHub (App OAuth)
    categories:
        - dev-tools
        - ticketing
    alias: github
    auth_mode: CUSTOM
    authorization_url: ${connectionConfig.appPublicLink}/installations/new
    token_url:
        OAUTH2: %[1]s/github/login/oauth/access_token
        APP: %[1]s/github/app/installations/${connectionConfig.installation_id}/access_tokens
%[2]s    docs: https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app

`, baseURL, connectionConfig, p.opts.CoreLimit)
}
