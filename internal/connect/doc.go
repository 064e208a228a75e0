// Package connect is the end user's side of authorisation: connect
// sessions (short-lived grants a customer's backend creates so a browser
// can connect accounts without the secret key), the browser routes of the
// flows (the popup's start, the providers' redirects back), the websocket
// that tells the page that opened the popup how it went, and the hosted,
// white-label Connect UI.
//
// The flows themselves (token exchanges, verification, saving) are
// internal/auth's; this package only speaks HTTP and HTML to browsers.
package connect
