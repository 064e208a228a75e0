package connect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/patchbay/patchbay/internal/authmode"
	"github.com/patchbay/patchbay/internal/settings"
)

// PageSource loads what the Connect UI shows for a connect session token.
// It returns an error wrapping ErrInvalidSession for an unknown token and
// ErrExpiredSession for an expired one. With ErrExpiredSession it may also
// return a PageData holding only Settings, so the expiry page carries the
// environment's name and colours.
type PageSource func(ctx context.Context, sessionToken string) (*PageData, error)

var (
	// ErrInvalidSession means the connect session token is unknown.
	ErrInvalidSession = errors.New("connect: invalid connect session token")
	// ErrExpiredSession means the connect session token has expired.
	ErrExpiredSession = errors.New("connect: expired connect session token")
)

//go:embed ui
var uiFiles embed.FS

// Session tokens are "nango_connect_session_" + 64 hex; anything much longer
// is not worth a lookup.
const maxSessionTokenLen = 256

// docsURL is where the landing page sends people who open the server's
// root: Patchbay's documentation.
const docsURL = "https://github.com/patchbay/patchbay#readme"

var (
	// What may stand in the host of APIURL once it is copied into the CSP
	// header: a name or an IP literal and a port, nothing that ends a
	// directive.
	cspHost = regexp.MustCompile(`^[A-Za-z0-9.\-]+(?::[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](?::[0-9]+)?$`)
)

type ui struct {
	source PageSource
	logger *slog.Logger
	tmpl   *template.Template
	assets map[string]uiAsset
}

type uiAsset struct {
	body        []byte
	contentType string
	version     string
}

// NewUI returns the hosted Connect UI: GET /connect and GET /connect/
// (@nangohq/frontend's openConnectUI appends a slash to its baseURL, so
// both the connect link's base and the server's root work as baseURL),
// GET / (route websocket upgrades on / to the Hub first) and
// GET /connect/assets/{file}.
func NewUI(source PageSource, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	u := &ui{source: source, logger: logger, assets: loadAssets()}
	u.tmpl = template.Must(template.New("connect.html").Funcs(template.FuncMap{
		"asset": u.assetURL,
	}).ParseFS(uiFiles, "ui/connect.html"))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /connect", u.servePage)
	mux.HandleFunc("GET /connect/{$}", u.servePage)
	mux.HandleFunc("GET /{$}", u.servePage)
	mux.HandleFunc("GET /connect/assets/{file}", u.serveAsset)
	return mux
}

func loadAssets() map[string]uiAsset {
	types := map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
	}
	assets := make(map[string]uiAsset)
	entries, err := fs.ReadDir(uiFiles, "ui")
	if err != nil {
		panic(err) // the directory is embedded; only a broken build gets here
	}
	for _, e := range entries {
		ct, ok := types[path.Ext(e.Name())]
		if !ok {
			continue
		}
		body, err := uiFiles.ReadFile("ui/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		assets[e.Name()] = uiAsset{body: body, contentType: ct, version: hex.EncodeToString(sum[:6])}
	}
	return assets
}

// assetURL carries the content hash, so an asset can be cached for a year
// and a new release is still fetched at once.
func (u *ui) assetURL(name string) (string, error) {
	a, ok := u.assets[name]
	if !ok {
		return "", fmt.Errorf("no asset %q", name)
	}
	return "/connect/assets/" + name + "?v=" + a.version, nil
}

func (u *ui) serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := u.assets[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+a.version+`"`)
	if r.URL.Query().Get("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// pageView is everything the template reads. Values that end up in CSS or
// in the CSP header are validated before they get here.
type pageView struct {
	Mode      string // shell (openConnectUI's handshake, or a landing page), connect, session_error, error
	Title     string
	AppName   string // for sentences: "Go back to <AppName>"
	Dark      bool
	Primary   string // a validated hex colour, or empty
	OnPrimary string
	Nonce     string
	LogoURL   string
	PoweredBy bool

	Heading   string
	Text      string
	ErrorType string

	SessionToken          string
	APIURL                string
	Integrations          []integrationView
	ReconnectFlow         string
	ReconnectConnectionID string

	Messages map[string]string

	Embedded bool   // shell: probably in an iframe (Sec-Fetch-Dest)
	DocsURL  string // shell: where the landing page points

	apiOrigin, wsOrigin string
}

type integrationView struct {
	ID          string
	Key         string
	DisplayName string
	LogoURL     string
	Initial     string
	Kind        string // popup, form, unsupported
	Endpoint    string
	DocsURL     string
	Fields      []fieldView
}

type fieldView struct {
	ID          string
	Kind        string // credential or config
	Name        string
	Label       string
	Help        string
	DocURL      string
	Placeholder string
	Pattern     string
	Type        string
	InputMode   string
	Prefix      string
	Suffix      string
	Optional    bool
	DescribedBy string
}

func (u *ui) servePage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("session_token")
	if token == "" {
		// openConnectUI loads us without a token and hands it over by
		// postMessage once we say we are ready. Anyone else who opens
		// the page (the server's root, typically) gets a landing page;
		// the script corrects the guess when the headers were missing.
		embedded := r.Header.Get("Sec-Fetch-Dest") == "iframe"
		u.render(w, http.StatusOK, &pageView{Mode: "shell", Title: "Connect", AppName: "the app", Embedded: embedded, DocsURL: docsURL})
		return
	}
	if len(token) > maxSessionTokenLen {
		u.render(w, http.StatusUnauthorized, sessionErrorView(nil, token, "invalid_connect_session_token"))
		return
	}
	pd, err := u.source(r.Context(), token)
	switch {
	case errors.Is(err, ErrExpiredSession):
		u.render(w, http.StatusUnauthorized, u.brand(sessionErrorView(pd, token, "expired_connect_session_token"), pd))
		return
	case errors.Is(err, ErrInvalidSession):
		u.render(w, http.StatusUnauthorized, sessionErrorView(nil, token, "invalid_connect_session_token"))
		return
	case err == nil && pd == nil:
		err = errors.New("page source returned no page")
	}
	if err != nil {
		if r.Context().Err() == nil {
			u.logger.Error("connect UI: loading the session failed", "err", err)
		}
		u.render(w, http.StatusInternalServerError, errorView())
		return
	}
	v, err := u.connectView(pd)
	if err != nil {
		u.logger.Error("connect UI: bad page data", "err", err)
		u.render(w, http.StatusInternalServerError, errorView())
		return
	}
	u.render(w, http.StatusOK, v)
}

// sessionErrorView says why a token does not open the page. The error
// type is Nango's (expired or invalid); the words tell the end user
// which of three things happened, as far as the server can know: the
// session expired; the token has a session token's shape but no session
// (it expired and was cleaned up, or the app cancelled it); or it is not
// a token Patchbay ever issued (cut short or mistyped on its way here).
func sessionErrorView(pd *PageData, token, code string) *pageView {
	v := &pageView{Mode: "session_error", Title: "Connect", AppName: "the app", ErrorType: code}
	if pd != nil && strings.TrimSpace(pd.Settings.Name) != "" {
		v.AppName = strings.TrimSpace(pd.Settings.Name)
	}
	switch {
	case code == "expired_connect_session_token":
		v.Heading = "Link expired"
		v.Text = "This link has expired. Go back to " + v.AppName + " and try again."
	case wellFormedToken(token):
		v.Heading = "Link no longer valid"
		v.Text = "This link has expired or was cancelled. Go back to " + v.AppName + " and try again."
	default:
		v.Heading = "Link not valid"
		v.Text = "This is not a complete connect link: part of it may be missing. Go back to " + v.AppName + " and open the link again."
	}
	return v
}

// wellFormedToken tells a token Patchbay could have issued (the prefix
// and 32 random bytes in hex) from one that was damaged on its way here.
func wellFormedToken(token string) bool {
	h, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok || len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

func errorView() *pageView {
	return &pageView{
		Mode: "error", Title: "Connect", AppName: "the app",
		Heading: "Something went wrong",
		Text:    "We could not load this page. Try again in a moment.",
	}
}

func (u *ui) connectView(pd *PageData) (*pageView, error) {
	apiURL := strings.TrimRight(pd.APIURL, "/")
	httpOrigin, wsOrigin, err := apiOrigins(apiURL)
	if err != nil {
		return nil, err
	}
	v := &pageView{
		Mode:         "connect",
		SessionToken: pd.SessionToken,
		APIURL:       apiURL,
		Messages:     userMessages,
		apiOrigin:    httpOrigin,
		wsOrigin:     wsOrigin,
	}
	u.brand(v, pd)
	names := endUserNames(pd.Integrations)
	for i, in := range pd.Integrations {
		iv := integrationView{
			ID:          "pb-i" + strconv.Itoa(i),
			Key:         in.Key,
			DisplayName: names[i],
			LogoURL:     in.LogoURL,
			DocsURL:     in.DocsURL,
		}
		iv.Initial = initial(iv.DisplayName)
		// A mode with a browser flow runs it in a popup on /oauth/connect;
		// one with a credentials form has the page post it, to its path.
		switch m := authmode.Get(in.AuthMode); {
		case m.Browser != authmode.BrowserNone:
			iv.Kind = "popup"
		case m.Form != nil:
			iv.Kind = "form"
			iv.Endpoint = m.Form.Path
		default:
			iv.Kind = "unsupported"
		}
		// Connection settings come first: they say where the account
		// lives, before which credentials it takes.
		for j, f := range in.ConfigFields {
			iv.Fields = append(iv.Fields, newFieldView(iv.ID+"-c"+strconv.Itoa(j), "config", f))
		}
		if iv.Kind == "form" {
			for j, f := range in.CredentialFields {
				iv.Fields = append(iv.Fields, newFieldView(iv.ID+"-k"+strconv.Itoa(j), "credential", f))
			}
		}
		if pd.Reconnect != nil && pd.Reconnect.IntegrationKey == in.Key {
			v.ReconnectFlow = iv.ID
			v.ReconnectConnectionID = pd.Reconnect.ConnectionID
		}
		v.Integrations = append(v.Integrations, iv)
	}
	if pd.Reconnect != nil && v.ReconnectFlow == "" {
		u.logger.Warn("connect UI: reconnect integration not among the session's integrations", "integration", pd.Reconnect.IntegrationKey)
	}
	return v, nil
}

// brand applies the environment's white-label settings. Patchbay's own
// name shows only when none is set.
func (u *ui) brand(v *pageView, pd *PageData) *pageView {
	// Without page data the environment is unknown and may be a
	// white-labelled one, so no branding at all.
	v.Title, v.AppName, v.PoweredBy = "Connect", "the app", false
	if pd == nil {
		return v
	}
	s := pd.Settings
	v.PoweredBy = s.Name == "" && s.LogoURL == "" && s.PrimaryColor == "" && !s.DarkMode
	if name := strings.TrimSpace(s.Name); name != "" {
		v.Title, v.AppName = name, name
	}
	v.Dark = s.DarkMode
	if s.PrimaryColor != "" {
		if settings.ValidColour(s.PrimaryColor) {
			v.Primary = strings.ToLower(s.PrimaryColor)
			v.OnPrimary = textOn(v.Primary)
			v.Nonce = newNonce()
		} else {
			u.logger.Warn("connect UI: ignoring primary colour that is not a hex colour", "primary_color", s.PrimaryColor)
		}
	}
	if s.LogoURL != "" {
		if settings.LogoAllowed(s.LogoURL, v.apiOrigin) {
			v.LogoURL = s.LogoURL
		} else {
			u.logger.Warn("connect UI: ignoring logo URL that is not https", "logo_url", s.LogoURL)
		}
	}
	return v
}

func newFieldView(id, kind string, f PageField) fieldView {
	fv := fieldView{
		ID:          id,
		Kind:        kind,
		Name:        f.Name,
		Label:       firstNonEmpty(f.Title, fieldLabels[f.Name], f.Name),
		Help:        f.Description,
		DocURL:      f.DocURL,
		Placeholder: f.Example,
		Pattern:     f.Pattern,
		Prefix:      f.Prefix,
		Suffix:      f.Suffix,
		Optional:    f.Optional,
		Type:        "text",
	}
	switch {
	case f.Secret:
		fv.Type = "password"
	case f.Format == "email":
		fv.Type = "email"
	case (f.Format == "uri" || f.Format == "url") && f.Prefix == "" && f.Suffix == "":
		fv.Type = "url"
	case f.Format == "hostname" || f.Format == "uri" || f.Format == "url":
		fv.InputMode = "url"
	}
	var ids []string
	if fv.Prefix != "" {
		ids = append(ids, id+"-prefix")
	}
	if fv.Suffix != "" {
		ids = append(ids, id+"-suffix")
	}
	if fv.Help != "" || fv.DocURL != "" {
		ids = append(ids, id+"-help")
	}
	fv.DescribedBy = strings.Join(append(ids, id+"-error"), " ")
	return fv
}

// fieldLabels name the common credential fields when the catalog gives no
// title.
var fieldLabels = map[string]string{
	"apiKey":        "API key",
	"username":      "Username",
	"password":      "Password",
	"client_id":     "Client ID",
	"client_secret": "Client secret",
}

func (u *ui) render(w http.ResponseWriter, status int, v *pageView) {
	var buf bytes.Buffer
	if err := u.tmpl.Execute(&buf, v); err != nil {
		u.logger.Error("connect UI: rendering failed", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The page holds the session token.
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pageCSP(v))
	h.Set("X-Content-Type-Options", "nosniff")
	// The URL carries the session token; logos and help links must not
	// receive it.
	h.Set("Referrer-Policy", "no-referrer")
	// No X-Frame-Options or frame-ancestors: customers embed this page in
	// their own iframes, on any domain.
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func pageCSP(v *pageView) string {
	style := "'self'"
	if v.Nonce != "" {
		style += " 'nonce-" + v.Nonce + "'"
	}
	img := "'self' https: data:"
	connect := "'self'"
	if v.apiOrigin != "" {
		img += " " + v.apiOrigin
		connect += " " + v.apiOrigin + " " + v.wsOrigin
	}
	return "default-src 'none'; script-src 'self'; style-src " + style + "; img-src " + img +
		"; connect-src " + connect + "; base-uri 'none'; form-action 'none'"
}

// apiOrigins returns the http(s) and ws(s) origins of Patchbay's API URL,
// checked to be safe to copy into a CSP header.
func apiOrigins(apiURL string) (httpOrigin, wsOrigin string, err error) {
	u, err := url.Parse(apiURL)
	if err != nil {
		return "", "", fmt.Errorf("API URL %q: %w", apiURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || !cspHost.MatchString(u.Host) {
		return "", "", fmt.Errorf("API URL %q: want http(s)://host[:port]", apiURL)
	}
	ws := "ws"
	if u.Scheme == "https" {
		ws = "wss"
	}
	return u.Scheme + "://" + u.Host, ws + "://" + u.Host, nil
}

// textOn picks black or white text for a background colour by its
// relative luminance (WCAG), so a customer's brand colour keeps labels
// readable.
func textOn(hexColour string) string {
	h := strings.TrimPrefix(hexColour, "#")
	if len(h) <= 4 { // #rgb or #rgba
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	var lum float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		c, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		s := float64(c) / 255
		if s <= 0.03928 {
			s /= 12.92
		} else {
			s = math.Pow((s+0.055)/1.055, 2.4)
		}
		lum += weight * s
	}
	// Contrast with white is (1.05)/(L+0.05), with black (L+0.05)/0.05;
	// they are equal at L ≈ 0.179.
	if lum > 0.179 {
		return "#111827"
	}
	return "#ffffff"
}

// authVariant matches a trailing parenthesis in a catalog display name
// that names how Patchbay authenticates ("GitHub (User OAuth)", "Stripe
// (API key)"): words for the customer, not for their end users. Others
// ("Salesforce (Sandbox)") say which account to pick and stay.
var authVariant = regexp.MustCompile(`(?i)\s*\([^()]*\b(?:oauth[0-9.a-z]*|api|keys?|tokens?|auth|credentials|app|basic|jwt)\b[^()]*\)\s*$`)

// endUserNames are the names the end user sees for the integrations: the
// display name without the auth variant, unless two integrations would
// then look the same (GitHub by OAuth and by access token in one
// session); those keep their full names to be told apart.
func endUserNames(ins []PageIntegration) []string {
	full := make([]string, len(ins))
	short := make([]string, len(ins))
	count := make(map[string]int)
	for i, in := range ins {
		full[i] = firstNonEmpty(in.DisplayName, in.Provider, in.Key)
		short[i] = firstNonEmpty(authVariant.ReplaceAllString(full[i], ""), full[i])
		count[strings.ToLower(short[i])]++
	}
	for i := range short {
		if count[strings.ToLower(short[i])] > 1 {
			short[i] = full[i]
		}
	}
	return short
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func initial(name string) string {
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return string(unicode.ToUpper(r))
		}
	}
	r, _ := utf8.DecodeRuneInString(name)
	if r == utf8.RuneError {
		return "?"
	}
	return string(r)
}
