package ghost

import (
	"encoding/hex"
	"errors"
	"math"
	"net/http"
	"regexp"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// maxAge is how old (iat) a token may be, and how long after iat it may
// expire: five minutes, in seconds.
const maxAge = 5 * 60

// audience is the pattern Ghost matches aud against for the unversioned
// Admin API. Like jsonwebtoken, it is not anchored at the start, so
// "/v5/admin/" passes.
var audience = regexp.MustCompile(`/?admin/?$`)

// authError is a refused request, in Ghost's terms.
type authError struct {
	status    int
	typ, code string
	message   string
	context   any
}

func unauthorized(code, message string) *authError {
	return &authError{status: http.StatusUnauthorized, typ: "UnauthorizedError", code: code, message: message}
}

// invalidToken is the 401 Ghost answers when jsonwebtoken rejects a token.
func invalidToken(reason string) *authError {
	return unauthorized("INVALID_JWT", "Invalid token: "+reason)
}

// authenticate checks the request's "Authorization: Ghost <jwt>" header
// against the site's Admin API keys, in the order Ghost's api-key
// middleware does.
func (p *Provider) authenticate(r *http.Request, st *site) *authError {
	header := r.Header.Get("Authorization")
	if header == "" {
		return &authError{status: http.StatusForbidden, typ: "NoPermissionError", message: "Authorization failed",
			context: "Unable to determine the authenticated user or integration. Check that cookies are being passed through if using session authentication."}
	}
	scheme, raw, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Ghost") || raw == "" {
		return unauthorized("INVALID_AUTH_HEADER", `Authorization header format is "Authorization: Ghost [token]"`)
	}
	claims := jwt.MapClaims{}
	unverified, _, err := jwt.NewParser().ParseUnverified(raw, claims)
	// An unknown alg still decodes (jsonwebtoken's decode does not look at
	// it); it is refused below as an invalid algorithm.
	if err != nil && !errors.Is(err, jwt.ErrTokenUnverifiable) {
		return &authError{status: http.StatusBadRequest, typ: "BadRequestError", code: "INVALID_JWT", message: "Invalid token"}
	}
	kid, _ := unverified.Header["kid"].(string)
	if kid == "" {
		return &authError{status: http.StatusBadRequest, typ: "BadRequestError", code: "MISSING_ADMIN_API_KID", message: "Admin API kid missing."}
	}
	secret, ok := st.keys.Get(kid)
	if !ok {
		return unauthorized("UNKNOWN_ADMIN_API_KEY", "Unknown Admin API Key")
	}
	if unverified.Method == nil || unverified.Method.Alg() != "HS256" {
		return invalidToken("invalid algorithm")
	}
	_, err = jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithoutClaimsValidation()).
		Parse(raw, func(*jwt.Token) (any, error) { return secret, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return invalidToken("invalid signature")
	case err != nil:
		return invalidToken("jwt malformed")
	}
	return checkClaims(claims, float64(p.s.Clock.Now().Unix()))
}

// checkClaims applies jsonwebtoken's checks, in its order, with Ghost's
// options (an /admin/ audience and a maxAge of 5 minutes), then the
// documented limit on exp.
func checkClaims(c jwt.MapClaims, now float64) *authError {
	if nbf, present, ok := number(c, "nbf"); present {
		if !ok {
			return invalidToken("invalid nbf value")
		}
		if now < math.Floor(nbf) {
			return invalidToken("jwt not active")
		}
	}
	exp, hasExp, ok := number(c, "exp")
	if hasExp {
		if !ok {
			return invalidToken("invalid exp value")
		}
		if now >= math.Floor(exp) {
			return invalidToken("jwt expired")
		}
	}
	if !audienceMatches(c["aud"]) {
		return invalidToken(`jwt audience invalid. expected: /\/?admin\/?$/`)
	}
	iat, _, ok := number(c, "iat")
	if !ok {
		return invalidToken("iat required when maxAge is specified")
	}
	if now-math.Floor(iat) > maxAge {
		return invalidToken("maxAge exceeded")
	}
	if hasExp && exp-iat > maxAge {
		return invalidToken("exp must be at most 5 minutes after iat")
	}
	return nil
}

// number reads a numeric claim: whether it is present, and whether it is
// a number.
func number(c jwt.MapClaims, key string) (v float64, present, ok bool) {
	raw, present := c[key]
	if !present {
		return 0, false, false
	}
	v, ok = raw.(float64)
	return v, true, ok
}

// audienceMatches reports whether aud (a string or a list of them)
// matches Ghost's Admin API audience.
func audienceMatches(aud any) bool {
	switch a := aud.(type) {
	case string:
		return audience.MatchString(a)
	case []any:
		for _, v := range a {
			if s, ok := v.(string); ok && audience.MatchString(s) {
				return true
			}
		}
	}
	return false
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("ghost: bad hex constant: " + err.Error())
	}
	return b
}
