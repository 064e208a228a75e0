// Package jira simulates the part of Jira Cloud's REST API (v3) that
// Patchbay's BASIC auth mode needs, for the provider simulator. A Jira
// site's address https://{site}.atlassian.net is /jira/{site} here:
// https://acme.atlassian.net/rest/api/3/myself is
// /jira/acme/rest/api/3/myself.
//
// # What is simulated
//
//   - Sites: any name of lowercase letters, digits and dashes is a site,
//     created on first use with its own accounts and projects.
//   - Basic auth with an account's email and API token. Every site has
//     the account DefaultEmail / DefaultAPIToken after a reset; the
//     control API adds and removes accounts per site. Missing or wrong
//     credentials get Jira's 401: a text/plain "Client must be
//     authenticated to access this resource." (with X-Seraph-LoginReason:
//     AUTHENTICATED_FAILED when credentials were sent). The email is
//     case-insensitive, the token is not.
//   - GET /rest/api/3/myself: the account (accountId, accountType
//     "atlassian", emailAddress, displayName, avatarUrls, timeZone,
//     locale, groups, applicationRoles, self).
//   - GET /rest/api/3/project/search: Jira's offset page {"self",
//     "nextPage", "maxResults", "startAt", "total", "isLast", "values"} of
//     the site's Options.Projects projects ordered by key, with startAt,
//     maxResults (default 50, also for values below 1; silently capped at 100) and query (matches
//     key or name, case-insensitive). A startAt or maxResults that is not
//     a number is a 400 {"errorMessages":[…],"errors":{}}.
//
// Rate limits are not simulated.
//
// # Control endpoints
//
//   - POST /_control/jira/sites/{site}/accounts {"email", "api_token"?,
//     "display_name"?} adds (or replaces) an account; without a token one
//     is minted. Answers 201 {"site","email","api_token","account_id"}.
//   - DELETE /_control/jira/sites/{site}/accounts/{email} removes an
//     account (the default one too, until the next reset): 204, or 404.
package jira
