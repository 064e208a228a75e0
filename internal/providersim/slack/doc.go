// Package slack simulates Slack's OAuth v2 install flow, part of its Web
// API and its Events API for Patchbay's provider simulator. Real URLs are
// mounted under /slack: https://slack.com/api/users.list is
// /slack/api/users.list, slack.com/oauth/v2/authorize is
// /slack/oauth/v2/authorize and hooks.slack.com/services/… is
// /slack/services/….
//
// # What is simulated
//
//   - OAuth v2: GET/POST /slack/oauth/v2/authorize takes bot scopes in
//     scope and user scopes in user_scope (comma-separated; at least one of
//     them), team=T… or sim_user=T… picks the workspace. GET/POST
//     /slack/api/oauth.v2.access exchanges the code (form body, client
//     credentials in the body or as Basic; grant_type may be omitted) for
//     {"ok":true,"app_id","authed_user":{…},"scope","token_type":"bot",
//     "access_token":"xoxb-…","bot_user_id","team":{"id","name"},
//     "enterprise":null,"is_enterprise_install":false}. The bot token is
//     there only when bot scopes were requested; the user token
//     (xoxp-…, token_type "user") only when user scopes were, and then
//     nested under authed_user, never at the top level. An incoming-webhook
//     scope adds incoming_webhook {channel, channel_id, url, …} whose url
//     accepts posts at /slack/services/….
//   - Token rotation (Options.TokenRotation): tokens become xoxe.xoxb-1-…
//     and xoxe.xoxp-1-… with expires_in 43200 and an xoxe-1-… refresh
//     token each, exchanged with grant_type=refresh_token; refresh tokens
//     are single use.
//   - Web API methods (/slack/api/{method}, GET query, POST form or
//     multipart, or POST JSON; the token as Authorization: Bearer or a token
//     argument in query or form, never in a JSON body): api.test,
//     auth.test, auth.revoke (test=true only pretends; emits
//     tokens_revoked), users.list, users.info, conversations.list,
//     conversations.info and chat.postMessage.
//   - Data: each workspace (team id) has its own users and channels,
//     generated from the seed and the team id on first use: Options.Users
//     members (the installing primary owner, Slackbot, the app's bot
//     user, another app's bot, deactivated users, guests) and
//     Options.Channels channels (#general, #random, archived and private
//     ones). Same seed, same data, same pages.
//   - Events API: chat.postMessage (and incoming webhooks) emit a message
//     event; auth.revoke emits tokens_revoked; uninstalling emits
//     app_uninstalled. Deliveries are event_callback envelopes (token,
//     team_id, api_app_id, event, event_id, event_time, authorizations…)
//     POSTed to the simulator's webhook URL with X-Slack-Request-Timestamp
//     (simulated clock) and X-Slack-Signature v0=hex(HMAC-SHA256(signing
//     secret, "v0:"+timestamp+":"+body)); see Signature.
//
// # Quirks and limits
//
//   - Every Web API and oauth.v2.access error is HTTP 200 with
//     {"ok":false,"error":…}: not_authed, invalid_auth, token_revoked,
//     token_expired, missing_scope (with needed and provided),
//     channel_not_found, not_in_channel, is_archived, no_text,
//     invalid_blocks, msg_too_long, invalid_cursor, invalid_types,
//     limit_required, invalid_code, invalid_client_id, bad_client_secret,
//     bad_redirect_uri, invalid_refresh_token, invalid_grant_type. Only an
//     unknown method (404 unknown_method) and rate limiting differ. Since
//     the status says nothing, the request log notes each error as
//     error=<code> (sim.RequestFilter{Note: "error=missing_scope"}).
//   - Scopes: users.list/users.info need users:read, and emails are shown
//     only with users:read.email; conversations.list needs the scope of
//     every requested type (channels:read, groups:read, mpim:read,
//     im:read); chat.postMessage needs chat:write, and a bot outside a
//     public channel also needs chat:write.public (else not_in_channel).
//     Responses carry X-OAuth-Scopes. Tokens minted by the control API
//     without scopes may call anything, as may all tokens with
//     Options.IgnoreScopes.
//   - Private channels exist only for their members: they are missing
//     from conversations.list and are channel_not_found elsewhere.
//   - Pagination: opaque cursors (base64 "user:U…"/"team:C…");
//     response_metadata.next_cursor is present on every page and "" on the
//     last. users.list without a limit returns everyone (limit_required
//     past 1000 users); conversations.list defaults to 100; limits cap at
//     1000. conversations.list applies exclude_archived after cutting the
//     page, so pages can be short or empty before the end.
//   - Rate limits per method, workspace and app on the simulated clock, in
//     fixed one-minute windows: Tier 2 (users.list, conversations.list:
//     20/min), Tier 3 (conversations.info, auth.revoke: 50/min), Tier 4
//     (auth.test, users.info: 100/min); chat.postMessage 1 per second per
//     channel. Over the limit: HTTP 429, Retry-After in seconds and
//     {"ok":false,"error":"ratelimited"}. All tunable in Options and off
//     when sim.Server.RateLimited is false.
//
// # Control endpoints
//
//   - POST /_control/slack/verify-url {"url"?, "challenge"?} sends a signed
//     url_verification request ({"token","challenge","type"}) to url (by
//     default the webhook URL) and answers {"verified":bool, "status",
//     "response", …}; the challenge may come back as plain text,
//     {"challenge":…} or challenge=….
//   - POST /_control/slack/events {"team_id"?, "event":{"type":…,…}}
//     delivers any event (app_mention, reaction_added, …), answering
//     {"event_id"}.
//   - POST /_control/slack/signing-secret {"signing_secret"} changes the
//     secret until the next reset.
//   - POST /_control/slack/uninstall {"team_id"?} revokes every token of
//     the workspace and emits app_uninstalled.
//   - GET /_control/slack/workspaces/{team} reports the generated
//     workspace's ids (owner, bot user, bot, #general) and sizes.
//
// The shared /_control/revoke also works, with the workspace (team id) as
// subject or a token in its core spelling; Slack-spelled tokens are
// revoked with auth.revoke.
package slack
