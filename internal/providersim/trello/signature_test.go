package trello

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSignatureBaseVectors pins the server's base string and signatures to
// published examples.
func TestSignatureBaseVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                        string
		method, url, body           string
		oauth                       map[string]string
		consumerSecret, tokenSecret string
		wantBase, wantSig           string
	}{
		{
			// RFC 5849 §3.4.1.1 (request and base string) with the §3.1
			// credentials; the signature is the value of verified erratum
			// 2550, the RFC's printed bYT5… being wrong.
			name:   "RFC 5849 3.4.1.1",
			method: "POST", url: "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", body: "c2&a3=2+q",
			oauth: map[string]string{"realm": "Example", "oauth_consumer_key": "9djdj82h48djs9d2", "oauth_token": "kkk9d7dh3k39sjv7",
				"oauth_signature_method": "HMAC-SHA1", "oauth_timestamp": "137131201", "oauth_nonce": "7d8f3e4a", "oauth_signature": "ignored"},
			consumerSecret: "j49sk3j29djd", tokenSecret: "dh893hdasih9",
			wantBase: "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7",
			wantSig:  "r6/TJjbCOr97/+UU0NsvSne7s5g=",
		},
		{
			// OAuth Core 1.0 Appendix A.5.
			name:   "OAuth Core 1.0 A.5",
			method: "GET", url: "http://photos.example.net/photos?file=vacation.jpg&size=original",
			oauth: map[string]string{"oauth_consumer_key": "dpf43f3p2l4k3l03", "oauth_token": "nnch734d00sl2jdk", "oauth_signature_method": "HMAC-SHA1",
				"oauth_timestamp": "1191242096", "oauth_nonce": "kllo9940pd9333jh", "oauth_version": "1.0"},
			consumerSecret: "kd94hf93k423kf44", tokenSecret: "pfkkdhi9sl3r4s00",
			wantBase: "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal",
			wantSig:  "tR3+Ty81lMeYAr/Fid0kMTYa/WM=",
		},
		{
			name: "RFC 5849 1.2 temporary credentials", method: "POST", url: "https://photos.example.net/initiate",
			oauth: map[string]string{"realm": "Photos", "oauth_consumer_key": "dpf43f3p2l4k3l03", "oauth_signature_method": "HMAC-SHA1",
				"oauth_timestamp": "137131200", "oauth_nonce": "wIjqoS", "oauth_callback": "http://printer.example.com/ready"},
			consumerSecret: "kd94hf93k423kf44",
			wantSig:        "74KNZJeDHnMBp0EMJ9ZHt/XKycU=",
		},
		{
			name: "RFC 5849 1.2 token credentials", method: "POST", url: "https://photos.example.net/token",
			oauth: map[string]string{"realm": "Photos", "oauth_consumer_key": "dpf43f3p2l4k3l03", "oauth_token": "hh5s93j4hdidpola", "oauth_signature_method": "HMAC-SHA1",
				"oauth_timestamp": "137131201", "oauth_nonce": "walatlh", "oauth_verifier": "hfdp7dh39dks9884"},
			consumerSecret: "kd94hf93k423kf44", tokenSecret: "hdhd0244k9j7ao03",
			wantSig: "gKgrFCywp7rO0OXSjdot/IHF7IU=",
		},
		{
			name: "RFC 5849 1.2 protected resource", method: "GET", url: "http://photos.example.net/photos?file=vacation.jpg&size=original",
			oauth: map[string]string{"realm": "Photos", "oauth_consumer_key": "dpf43f3p2l4k3l03", "oauth_token": "nnch734d00sl2jdk", "oauth_signature_method": "HMAC-SHA1",
				"oauth_timestamp": "137131202", "oauth_nonce": "chapoH"},
			consumerSecret: "kd94hf93k423kf44", tokenSecret: "pfkkdhi9sl3r4s00",
			wantSig: "MdpQcU8iPSUjWoN/UDMsK2sui9I=",
		},
		{
			// Twitter's "Creating a signature" guide.
			name:   "Twitter",
			method: "POST", url: "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
			body: "status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21",
			oauth: map[string]string{"oauth_consumer_key": "xvz1evFS4wEEPTGEFPHBog", "oauth_token": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
				"oauth_signature_method": "HMAC-SHA1", "oauth_timestamp": "1318622958", "oauth_nonce": "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", "oauth_version": "1.0"},
			consumerSecret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw", tokenSecret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
			wantBase: "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521",
			wantSig:  "hCtSmYh+iHYCEqBWrE7C7hYmtUk=",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			if strings.HasPrefix(tt.url, "https:") {
				r.TLS = &tls.ConnectionState{}
			}
			if tt.body != "" {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			body, err := formBody(r)
			if err != nil {
				t.Fatal(err)
			}
			base, err := signatureBase(r, tt.oauth, body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantBase != "" && base != tt.wantBase {
				t.Errorf("base string\n got %s\nwant %s", base, tt.wantBase)
			}
			if sig := expectedSignature("HMAC-SHA1", base, tt.consumerSecret, tt.tokenSecret); sig != tt.wantSig {
				t.Errorf("signature = %s, want %s", sig, tt.wantSig)
			}
		})
	}
}

func TestPlaintextSignature(t *testing.T) {
	t.Parallel()
	// RFC 5849 §3.4.4: both secrets encoded and joined, even when empty.
	if got := expectedSignature("PLAINTEXT", "", "kd94hf93k423kf44", ""); got != "kd94hf93k423kf44&" {
		t.Errorf("got %q", got)
	}
	if got := expectedSignature("PLAINTEXT", "", "a b+c", "d&e"); got != "a%20b%2Bc&d%26e" {
		t.Errorf("got %q", got)
	}
}

func TestOAuthEncode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                     "",
		"abcXYZ019-._~":        "abcXYZ019-._~",
		"a b":                  "a%20b",
		"+":                    "%2B",
		"*'()!":                "%2A%27%28%29%21",
		"%":                    "%25",
		"é":                    "%C3%A9",
		"=&;/?#[]@":            "%3D%26%3B%2F%3F%23%5B%5D%40",
		"\x00\x7f\xff":         "%00%7F%FF",
		"http://x.test/?a=b c": "http%3A%2F%2Fx.test%2F%3Fa%3Db%20c",
	} {
		if got := oauthEncode(in); got != want {
			t.Errorf("oauthEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRequestURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url     string
		tls     bool
		headers map[string]string
		want    string
	}{
		{url: "http://EXAMPLE.com:80/r%20v/X", want: "http://example.com/r%20v/X"},
		{url: "http://example.com:8080/", want: "http://example.com:8080/"},
		{url: "https://example.com:443/a", tls: true, want: "https://example.com/a"},
		{url: "https://example.com:80/a", tls: true, want: "https://example.com:80/a"},
		{url: "http://[::1]:80/a", want: "http://[::1]/a"},
		{url: "http://[::1]:81/a", want: "http://[::1]:81/a"},
		{url: "http://internal:9000/a", headers: map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "Sim.Example:443"}, want: "https://sim.example/a"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, tt.url, nil)
		if tt.tls {
			r.TLS = &tls.ConnectionState{}
		}
		for k, v := range tt.headers {
			r.Header.Set(k, v)
		}
		if got := requestURI(r); got != tt.want {
			t.Errorf("requestURI(%s) = %s, want %s", tt.url, got, tt.want)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header  string
		want    map[string]string
		wantErr string
	}{
		{header: `OAuth realm="Example", oauth_consumer_key="k", oauth_signature="a%2Bb%3D"`,
			want: map[string]string{"realm": "Example", "oauth_consumer_key": "k", "oauth_signature": "a+b="}},
		{header: "oauth  oauth_token=\"t\",\n\toauth_nonce=x", want: map[string]string{"oauth_token": "t", "oauth_nonce": "x"}},
		{header: `OAuth oauth_token=""`, want: map[string]string{"oauth_token": ""}},
		{header: `OAuth`, want: map[string]string{}},
		{header: `Bearer abc`, wantErr: "not an OAuth"},
		{header: ``, wantErr: "not an OAuth"},
		{header: `OAuth oauth_token="a", oauth_token="b"`, wantErr: "duplicate"},
		{header: `OAuth oauth_token="a`, wantErr: "unterminated"},
		{header: `OAuth oauth_token="a"b`, wantErr: "text after"},
		{header: `OAuth oauth_token="%zz"`, wantErr: "percent"},
		{header: `OAuth ="x"`, wantErr: "malformed"},
	}
	for _, tt := range tests {
		got, err := parseAuthorization(tt.header)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q", tt.header, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.header, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("%q = %v, want %v", tt.header, got, tt.want)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%q: %s = %q, want %q", tt.header, k, got[k], v)
			}
		}
	}
}

// FuzzParseAuthorization feeds the header parser untrusted input: it must
// never panic, and what it accepts must survive a round trip through the
// header form a client writes.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		`OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"`,
		`OAuth oauth_token=x,oauth_nonce="y"`, `OAuth a="`, `OAuth ,,,`, `oauth =`, "OAuth a=\"\xff\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got, err := parseAuthorization(h)
		if err != nil {
			return
		}
		again, err := parseAuthorization(header(got))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", header(got), err)
		}
		if len(again) != len(got) {
			t.Fatalf("round trip %v → %v", got, again)
		}
		for k, v := range got {
			if again[k] != v {
				t.Fatalf("round trip %q: %q → %q", k, v, again[k])
			}
		}
	})
}
