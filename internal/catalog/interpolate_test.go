package catalog

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestInterpolate(t *testing.T) {
	t.Parallel()
	v := Values{
		"connectionConfig.subdomain": "acme",
		"connectionConfig.region":    "eu",
		"connectionConfig.empty":     "",
		"apiKey":                     "k3y",
		"accessToken":                "t0k",
		"credentials.username":       "user",
		"credentials.password":       "pass",
		"now":                        "2024-03-05T07:08:09.123Z",
		"method":                     "GET",
	}
	tests := []struct {
		name, tmpl, want string
	}{
		{"plain text", "https://api.example.com", "https://api.example.com"},
		{"empty", "", ""},
		{"connection config", "https://${connectionConfig.subdomain}.zendesk.com", "https://acme.zendesk.com"},
		{"two placeholders", "${connectionConfig.subdomain}-${connectionConfig.region}", "acme-eu"},
		{"api key header", "Bearer ${apiKey}", "Bearer k3y"},
		{"empty value is a value", "x${connectionConfig.empty}y", "xy"},
		{"fallback first wins", "https://${connectionConfig.subdomain}.x.com || https://default.com", "https://acme.x.com"},
		{"fallback used", "https://${connectionConfig.hostname}/api || https://api.default.com", "https://api.default.com"},
		{"fallback literal", "${connectionConfig.version} || 2022-11-28", "2022-11-28"},
		{"base64", "Basic ${base64(${credentials.username}:${credentials.password})}", "Basic dXNlcjpwYXNz"},
		{"base64 with trailing colon", "Basic ${base64(${apiKey}:)}", "Basic azN5Og=="},
		{"base64 keeps commas", "${base64(a,b)}", "YSxi"},
		{"sha256Hex", "${sha256Hex(abc)}", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"sha256Base64", "${sha256Base64(abc)}", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="},
		{"now default", "${now}", "2024-03-05T07:08:09.123Z"},
		{"now dayjs", "${now:YYYY-MM-DDTHH:mm:ss}", "2024-03-05T07:08:09"},
		{"now rfc2822", "${now:ddd, DD MMM YYYY HH:mm:ss ZZ}", "Tue, 05 Mar 2024 07:08:09 +0000"},
		{"now aws", "${now:YYYYMMDDTHHmmss[Z]}", "20240305T070809Z"},
		{"now epoch", "${now:X}", "1709622489"},
		{"now shifted", "${now+7:days:YYYY-MM-DD}", "2024-03-12"},
		{"now shifted minutes", "${now+1:minutes:X}", "1709622549"},
		{"braces outside placeholders", "{\"a\": \"${apiKey}\"}", "{\"a\": \"k3y\"}"},
		{"dollar without brace", "cost: $5 ${apiKey}", "cost: $5 k3y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Interpolate(tt.tmpl, v)
			if err != nil {
				t.Fatalf("Interpolate(%q): %v", tt.tmpl, err)
			}
			if got != tt.want {
				t.Errorf("Interpolate(%q) = %q, want %q", tt.tmpl, got, tt.want)
			}
		})
	}
}

func TestInterpolateHelpersMatchCrypto(t *testing.T) {
	t.Parallel()
	v := Values{"method": "GET", "apiKey": "k3y"}
	got, err := Interpolate("${hmacSha1Hex(${method}, key)}", v)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := templateFuncs["hmacSha1Hex"].eval([]string{"GET", "key"})
	if got != want || len(got) != 40 {
		t.Errorf("hmacSha1Hex = %q, want %q", got, want)
	}
	inner, _ := templateFuncs["base64"].eval([]string{"k3y"})
	want, _ = templateFuncs["sha256Hex"].eval([]string{inner})
	if got, _ := Interpolate("${sha256Hex(${base64(${apiKey})})}", v); got != want {
		t.Errorf("nested helpers = %q, want %q", got, want)
	}
}

func TestInterpolateErrors(t *testing.T) {
	t.Parallel()
	secret := "s3cret-value"
	v := Values{"apiKey": secret, "now": "not a time"}
	tests := []struct {
		name, tmpl string
		missing    string // non-empty: want *MissingValueError with this Name
		want       string // otherwise: substring of the error
	}{
		{"missing value", "https://${connectionConfig.subdomain}.x.com", "connectionConfig.subdomain", ""},
		{"every fallback missing", "${connectionConfig.a} || ${connectionConfig.b}", "connectionConfig.b", ""},
		{"missing inside helper", "${base64(${credentials.username}:${apiKey})}", "credentials.username", ""},
		{"unterminated", "Bearer ${apiKey", "", "unterminated placeholder"},
		{"unterminated nested", "${base64(${apiKey})", "", "unterminated placeholder"},
		{"empty placeholder", "x${}y", "", "empty placeholder"},
		{"unknown function", "${rot13(${apiKey})}", "", `unknown function "rot13"`},
		{"wrong arity", "${hmacSha1Hex(${apiKey})}", "", `function "hmacSha1Hex" takes 2`},
		{"request-bound helper", "${awsSigV4(${apiKey}, b, us-east-1, iam)}", "", `function "awsSigV4"`},
		{"bad now value", "${now:X}", "", "not an RFC 3339 time"},
		{"bad now unit", "${now+1:fortnights:X}", "", `unknown unit "fortnights"`},
		{"stray brace in name", "${a{b}}", "", "invalid placeholder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := Interpolate(tt.tmpl, v)
			if err == nil {
				t.Fatalf("Interpolate(%q) = %q, want an error", tt.tmpl, out)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks a value: %v", err)
			}
			var missing *MissingValueError
			if tt.missing != "" {
				if !errors.As(err, &missing) || missing.Name != tt.missing {
					t.Fatalf("error = %v, want MissingValueError for %q", err, tt.missing)
				}
				if want := "missing value for ${" + tt.missing + "}"; err.Error() != want {
					t.Errorf("message = %q, want %q", err, want)
				}
				return
			}
			if errors.As(err, &missing) {
				t.Errorf("error = %v, want a template error, not a missing value", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestInterpolateMissingNow(t *testing.T) {
	t.Parallel()
	_, err := Interpolate("${now:X}", Values{})
	var missing *MissingValueError
	if !errors.As(err, &missing) || missing.Name != "now" {
		t.Errorf("error = %v, want a missing ${now}", err)
	}
}

func TestPlaceholders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tmpl string
		want []string
	}{
		{"https://api.example.com", nil},
		{"https://${connectionConfig.subdomain}.x.com || https://${connectionConfig.host}", []string{"connectionConfig.subdomain", "connectionConfig.host"}},
		{"Basic ${base64(${credentials.username}:${credentials.password})}", []string{"credentials.username", "credentials.password"}},
		{"${now:X}-${now}-${apiKey}-${apiKey}", []string{"now", "apiKey"}},
	}
	for _, tt := range tests {
		got, err := Placeholders(tt.tmpl)
		if err != nil {
			t.Fatalf("Placeholders(%q): %v", tt.tmpl, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Placeholders(%q) = %v, want %v", tt.tmpl, got, tt.want)
		}
	}
	if _, err := Placeholders("${oops"); err == nil {
		t.Error("Placeholders should reject an unterminated template")
	}
}

// fuzzValues are distinctive so a leak is easy to spot: no helper output
// (hex, base64, digits) can contain "!" or "-".
var fuzzValues = Values{
	"apiKey":                     "SECRET-api!",
	"connectionConfig.subdomain": "SECRET-sub!",
	"credentials.password":       "SECRET-pw!",
	"unused":                     "SECRET-unused!",
	"now":                        "2024-01-02T03:04:05Z",
}

func FuzzInterpolate(f *testing.F) {
	for _, s := range []string{
		"", "plain", "${apiKey}", "Bearer ${apiKey}", "${unused", "${}", "${a}${b}",
		"https://${connectionConfig.subdomain}.x.com || https://y.com",
		"${base64(${credentials.password}:)}", "${sha256Hex(${apiKey})}",
		"${hmacSha1Hex(${now:ddd, DD MMM YYYY}, ${apiKey})}", "${now+1:minutes:X}",
		"${awsSigV4(${apiKey}, x)}", "${nope(1)}", "{${apiKey}}", "${${apiKey}}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tmpl string) {
		out, err := Interpolate(tmpl, fuzzValues)
		for key, val := range fuzzValues {
			if err != nil && strings.Contains(err.Error(), val) && !strings.Contains(tmpl, val) {
				t.Fatalf("error for %q leaks the value of %s: %v", tmpl, key, err)
			}
			if strings.Contains(out, val) && !strings.Contains(tmpl, key) && !strings.Contains(tmpl, val) {
				t.Fatalf("output for %q contains the value of %s, which the template never names", tmpl, key)
			}
		}
		var missing *MissingValueError
		if errors.As(err, &missing) {
			if _, ok := fuzzValues[missing.Name]; ok {
				t.Fatalf("MissingValueError for %q, which has a value", missing.Name)
			}
		}
	})
}

// BenchmarkInterpolate measures the per-request cost of filling a typical
// proxy header and a fallback base URL.
func BenchmarkInterpolate(b *testing.B) {
	v := Values{"credentials.username": "user", "credentials.password": "pass", "connectionConfig.subdomain": "acme"}
	for b.Loop() {
		if _, err := Interpolate("Basic ${base64(${credentials.username}:${credentials.password})}", v); err != nil {
			b.Fatal(err)
		}
		if _, err := Interpolate("https://${connectionConfig.hostname}/api || https://${connectionConfig.subdomain}.example.com/api", v); err != nil {
			b.Fatal(err)
		}
	}
}
