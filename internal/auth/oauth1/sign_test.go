package oauth1

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// vectors are published signature examples. Those whose protocol
// parameters leave out oauth_version (which Sign always sends) are checked
// through baseString and signature; the others through Sign as well.
var vectors = []struct {
	name                        string
	method, url, body           string
	oauth                       map[string]string
	consumerSecret, tokenSecret string
	wantBase, wantSig           string
}{
	{
		// RFC 5849 §3.4.1.1: the request and its base string, signed with
		// the §3.1 credentials. The RFC printed bYT5CMsGcbgUdFHObYMEfcx6bsw=;
		// verified erratum 2550 corrects it to r6/TJjbCOr97/+UU0NsvSne7s5g=.
		name:   "RFC 5849 3.4.1.1",
		method: "POST", url: "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", body: "c2&a3=2+q",
		oauth: map[string]string{"oauth_consumer_key": "9djdj82h48djs9d2", "oauth_token": "kkk9d7dh3k39sjv7",
			"oauth_signature_method": "HMAC-SHA1", "oauth_timestamp": "137131201", "oauth_nonce": "7d8f3e4a"},
		consumerSecret: "j49sk3j29djd", tokenSecret: "dh893hdasih9",
		wantBase: "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7",
		wantSig:  "r6/TJjbCOr97/+UU0NsvSne7s5g=",
	},
	{
		// OAuth Core 1.0 Appendix A.5 (the photos example, with
		// oauth_version), whose signature is tR3+Ty81lMeYAr/Fid0kMTYa/WM=.
		name:   "OAuth Core 1.0 A.5",
		method: "GET", url: "http://photos.example.net/photos?file=vacation.jpg&size=original",
		oauth: map[string]string{"oauth_consumer_key": "dpf43f3p2l4k3l03", "oauth_token": "nnch734d00sl2jdk", "oauth_signature_method": "HMAC-SHA1",
			"oauth_timestamp": "1191242096", "oauth_nonce": "kllo9940pd9333jh", "oauth_version": "1.0"},
		consumerSecret: "kd94hf93k423kf44", tokenSecret: "pfkkdhi9sl3r4s00",
		wantBase: "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal",
		wantSig:  "tR3+Ty81lMeYAr/Fid0kMTYa/WM=",
	},
	{
		// RFC 5849 §1.2, the three requests of the photos walk-through.
		name: "RFC 5849 1.2 temporary credentials", method: "POST", url: "https://photos.example.net/initiate",
		oauth: map[string]string{"oauth_consumer_key": "dpf43f3p2l4k3l03", "oauth_signature_method": "HMAC-SHA1",
			"oauth_timestamp": "137131200", "oauth_nonce": "wIjqoS", "oauth_callback": "http://printer.example.com/ready"},
		consumerSecret: "kd94hf93k423kf44",
		wantSig:        "74KNZJeDHnMBp0EMJ9ZHt/XKycU=",
	},
	{
		name: "RFC 5849 1.2 token credentials", method: "POST", url: "https://photos.example.net/token",
		oauth: map[string]string{"oauth_consumer_key": "dpf43f3p2l4k3l03", "oauth_token": "hh5s93j4hdidpola", "oauth_signature_method": "HMAC-SHA1",
			"oauth_timestamp": "137131201", "oauth_nonce": "walatlh", "oauth_verifier": "hfdp7dh39dks9884"},
		consumerSecret: "kd94hf93k423kf44", tokenSecret: "hdhd0244k9j7ao03",
		wantSig: "gKgrFCywp7rO0OXSjdot/IHF7IU=",
	},
	{
		name: "RFC 5849 1.2 protected resource", method: "GET", url: "http://photos.example.net/photos?file=vacation.jpg&size=original",
		oauth: map[string]string{"oauth_consumer_key": "dpf43f3p2l4k3l03", "oauth_token": "nnch734d00sl2jdk", "oauth_signature_method": "HMAC-SHA1",
			"oauth_timestamp": "137131202", "oauth_nonce": "chapoH"},
		consumerSecret: "kd94hf93k423kf44", tokenSecret: "pfkkdhi9sl3r4s00",
		wantSig: "MdpQcU8iPSUjWoN/UDMsK2sui9I=",
	},
	{
		// Twitter's "Creating a signature" guide: query and form body
		// parameters, '+', ',' and '!' in the body.
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

func vectorRequest(t *testing.T, method, target, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

func TestSignatureVectors(t *testing.T) {
	t.Parallel()
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			base, err := baseString(vectorRequest(t, v.method, v.url, v.body), v.oauth)
			if err != nil {
				t.Fatal(err)
			}
			if v.wantBase != "" && base != v.wantBase {
				t.Errorf("base string\n got %s\nwant %s", base, v.wantBase)
			}
			if sig := signature(HMACSHA1, base, v.consumerSecret, v.tokenSecret); sig != v.wantSig {
				t.Errorf("signature = %s, want %s", sig, v.wantSig)
			}
		})
	}
}

// TestSignVectors runs the vectors that carry oauth_version through Sign
// itself, and checks the header it writes.
func TestSignVectors(t *testing.T) {
	t.Parallel()
	for _, v := range vectors {
		if v.oauth["oauth_version"] == "" {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			secs, err := strconv.ParseInt(v.oauth["oauth_timestamp"], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			ts := time.Unix(secs, 0)
			c := &Client{ConsumerKey: v.oauth["oauth_consumer_key"], ConsumerSecret: v.consumerSecret,
				Now: func() time.Time { return ts }, Nonce: func() string { return v.oauth["oauth_nonce"] }}
			req := vectorRequest(t, v.method, v.url, v.body)
			if err := c.Sign(req, v.oauth["oauth_token"], v.tokenSecret, nil); err != nil {
				t.Fatal(err)
			}
			want := `OAuth oauth_consumer_key="` + v.oauth["oauth_consumer_key"] + `", oauth_nonce="` + v.oauth["oauth_nonce"] +
				`", oauth_signature="` + PercentEncode(v.wantSig) + `", oauth_signature_method="HMAC-SHA1", oauth_timestamp="` +
				v.oauth["oauth_timestamp"] + `", oauth_token="` + v.oauth["oauth_token"] + `", oauth_version="1.0"`
			if got := req.Header.Get("Authorization"); got != want {
				t.Errorf("Authorization\n got %s\nwant %s", got, want)
			}
			if v.body != "" {
				// The body was read to be signed and must still be sendable.
				data, _ := io.ReadAll(req.Body)
				again, _ := req.GetBody()
				data2, _ := io.ReadAll(again)
				if string(data) != v.body || string(data2) != v.body || req.ContentLength != int64(len(v.body)) {
					t.Errorf("body after Sign = %q / %q (length %d)", data, data2, req.ContentLength)
				}
			}
		})
	}
}

func TestPercentEncode(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"abcABC123", "abcABC123"},
		{"-._~", "-._~"},
		{" ", "%20"},
		{"+", "%2B"},
		{"%", "%25"},
		{"*", "%2A"},
		{"!'()", "%21%27%28%29"},
		{"&=;,/?:@#[]$", "%26%3D%3B%2C%2F%3F%3A%40%23%5B%5D%24"},
		{"é", "%C3%A9"},
		{"☃", "%E2%98%83"},
		{"\x00\n\x7f\xff", "%00%0A%7F%FF"},
		{"Ladies + Gentlemen", "Ladies%20%2B%20Gentlemen"},
		{"Dogs, Cats & Mice", "Dogs%2C%20Cats%20%26%20Mice"},
		{"http://example.com/cb?x=1", "http%3A%2F%2Fexample.com%2Fcb%3Fx%3D1"},
	}
	for _, tt := range tests {
		if got := PercentEncode(tt.in); got != tt.want {
			t.Errorf("PercentEncode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzPercentEncode checks PercentEncode against two oracles: decoding
// gives the input back, and it equals url.QueryEscape with the space
// written %20 (QueryEscape leaves exactly the unreserved set alone).
func FuzzPercentEncode(f *testing.F) {
	for _, s := range []string{"", "a b+c", "~*'%", "é☃", "\x00\xff", "%zz", "a%20b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := PercentEncode(s)
		for i := 0; i < len(got); i++ {
			c := got[i]
			if c == '%' {
				if i+2 >= len(got) || !isUpperHex(got[i+1]) || !isUpperHex(got[i+2]) {
					t.Fatalf("PercentEncode(%q) = %q: bad escape at %d", s, got, i)
				}
				i += 2
				continue
			}
			if !unreserved(c) {
				t.Fatalf("PercentEncode(%q) = %q: %q left unencoded", s, got, c)
			}
		}
		if back, err := url.PathUnescape(got); err != nil || back != s {
			t.Fatalf("PercentEncode(%q) = %q decodes to %q, %v", s, got, back, err)
		}
		if want := strings.ReplaceAll(url.QueryEscape(s), "+", "%20"); got != want {
			t.Fatalf("PercentEncode(%q) = %q, QueryEscape oracle %q", s, got, want)
		}
	})
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

func TestBaseStringURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url, host, want string
	}{
		{url: "HTTP://EXAMPLE.COM:80/r%20v/X?id=123", want: "http://example.com/r%20v/X"},
		{url: "https://www.example.net:8080/?q=1", want: "https://www.example.net:8080/"},
		{url: "https://example.com:443", want: "https://example.com/"},
		{url: "http://example.com:443/a", want: "http://example.com:443/a"},
		{url: "https://example.com:80/a", want: "https://example.com:80/a"},
		{url: "http://[::1]:80/a", want: "http://[::1]/a"},
		{url: "http://[::1]:8080/a", want: "http://[::1]:8080/a"},
		{url: "http://127.0.0.1:8080/a#frag", want: "http://127.0.0.1:8080/a"},
		// The Host the server will see wins over the URL's.
		{url: "http://10.0.0.1:9000/a", host: "API.example.com", want: "http://api.example.com/a"},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(http.MethodGet, tt.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tt.host != "" {
			req.Host = tt.host
		}
		got, err := baseStringURI(req)
		if err != nil || got != tt.want {
			t.Errorf("baseStringURI(%s) = %q, %v; want %q", tt.url, got, err, tt.want)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/relative", nil)
	req.URL.Scheme = ""
	if _, err := baseStringURI(req); err == nil {
		t.Error("a relative URL should be refused")
	}
}

func TestBaseStringParameters(t *testing.T) {
	t.Parallel()
	oauth := map[string]string{"oauth_consumer_key": "k"}
	tests := []struct {
		name, url, contentType, body string
		want                         string // the decoded third part
	}{
		{name: "duplicates sort by value", url: "http://x.test/?a=2&a=10&a=1&b=",
			want: "a=1&a=10&a=2&b=&oauth_consumer_key=k"},
		{name: "sort by encoded name", url: "http://x.test/?a%20b=1&a=2&A=3&a-b=4",
			want: "A=3&a=2&a%20b=1&a-b=4&oauth_consumer_key=k"},
		{name: "plus in the query is a space", url: "http://x.test/?q=a+b&r=a%2Bb",
			want: "oauth_consumer_key=k&q=a%20b&r=a%2Bb"},
		{name: "semicolons are data", url: "http://x.test/?a=1;b=2",
			want: "a=1%3Bb%3D2&oauth_consumer_key=k"},
		{name: "name without value", url: "http://x.test/?flag&x=",
			want: "flag=&oauth_consumer_key=k&x="},
		{name: "form body", url: "http://x.test/", contentType: "application/x-www-form-urlencoded; charset=utf-8", body: "z=1&name=a%26b",
			want: "name=a%26b&oauth_consumer_key=k&z=1"},
		{name: "JSON body is not signed", url: "http://x.test/", contentType: "application/json", body: `{"z":1}`,
			want: "oauth_consumer_key=k"},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(http.MethodPost, tt.url, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		if tt.contentType != "" {
			req.Header.Set("Content-Type", tt.contentType)
		}
		base, err := baseString(req, oauth)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		parts := strings.SplitN(base, "&", 3)
		got, _ := url.PathUnescape(parts[2])
		if got != tt.want {
			t.Errorf("%s: parameters %q, want %q", tt.name, got, tt.want)
		}
	}
	bad, _ := http.NewRequest(http.MethodGet, "http://x.test/?a=%zz", nil)
	bad.URL.RawQuery = "a=%zz"
	if _, err := baseString(bad, oauth); err == nil {
		t.Error("a malformed query should be an error")
	}
}

func TestSignRefusals(t *testing.T) {
	t.Parallel()
	c := &Client{ConsumerKey: "k", ConsumerSecret: "s"}
	req := httptest.NewRequest(http.MethodGet, "http://x.test/", nil)
	for _, extra := range []map[string]string{
		{"scope": "read"},
		{"oauth_signature": "forged"},
		{"oauth_nonce": "fixed"},
		{"oauth_token": "other"},
	} {
		if err := c.Sign(req, "", "", extra); err == nil {
			t.Errorf("extra %v should be refused", extra)
		}
	}
	if err := (&Client{SignatureMethod: "RSA-SHA1"}).Sign(req, "", "", nil); err == nil {
		t.Error("RSA-SHA1 should be refused")
	}
}

func TestSignPlaintext(t *testing.T) {
	t.Parallel()
	c := &Client{ConsumerKey: "key", ConsumerSecret: "a b&c", SignatureMethod: PLAINTEXT,
		Now: func() time.Time { return time.Unix(1700000000, 0) }, Nonce: func() string { return "n" }}
	req := httptest.NewRequest(http.MethodPost, "http://x.test/", strings.NewReader("unread=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := c.Sign(req, "tok", "sec ret", map[string]string{"oauth_verifier": "v 1"}); err != nil {
		t.Fatal(err)
	}
	// The signature "a%20b%26c&sec%20ret" is itself percent-encoded in the
	// header.
	want := `OAuth oauth_consumer_key="key", oauth_nonce="n", oauth_signature="a%2520b%2526c%26sec%2520ret", ` +
		`oauth_signature_method="PLAINTEXT", oauth_timestamp="1700000000", oauth_token="tok", oauth_verifier="v%201", oauth_version="1.0"`
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization\n got %s\nwant %s", got, want)
	}
}

func TestSignDefaults(t *testing.T) {
	t.Parallel()
	c := &Client{ConsumerKey: "k", ConsumerSecret: "s"}
	seen := map[string]bool{}
	for range 50 {
		req := httptest.NewRequest(http.MethodGet, "http://x.test/", nil)
		if err := c.Sign(req, "", "", nil); err != nil {
			t.Fatal(err)
		}
		h := req.Header.Get("Authorization")
		_, rest, _ := strings.Cut(h, `oauth_nonce="`)
		nonce, _, _ := strings.Cut(rest, `"`)
		if len(nonce) != 32 || seen[nonce] {
			t.Fatalf("nonce %q: want 32 fresh hex digits", nonce)
		}
		seen[nonce] = true
		if !strings.Contains(h, `oauth_signature_method="HMAC-SHA1"`) || strings.Contains(h, "oauth_token=") || strings.Contains(h, "realm") {
			t.Errorf("header %s", h)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	c := &Client{ConsumerKey: "trello-client-id", ConsumerSecret: "trello-client-secret"}
	req := httptest.NewRequest(http.MethodGet, "https://api.trello.com/1/members/me/boards?filter=open&fields=name,url,closed", nil)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Sign(req, "ATTA0123456789abcdef", "secret", nil); err != nil {
			b.Fatal(err)
		}
	}
}
