package functions

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func staffWSDL(t testing.TB) *WSDL {
	t.Helper()
	data, err := os.ReadFile("testdata/staff.wsdl")
	if err != nil {
		t.Fatal(err)
	}
	w, err := ParseWSDL(data)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestParseWSDL(t *testing.T) {
	t.Parallel()
	w := staffWSDL(t)
	if w.Endpoint != "https://staff.example.com/ccx/service/acme/Staff/v1" || strings.Join(w.Operations, ",") != "Get_People" {
		t.Fatalf("endpoint %q, operations %v", w.Endpoint, w.Operations)
	}
	op := w.ops["Get_People"]
	if op.soapAction != "urn:example:Get_People" || op.rpc || op.inputPrefix != "wd" || op.input.name != "Get_People_Request" || op.output.name != "Get_People_Response" {
		t.Fatalf("operation = %+v", op)
	}
	if w.envelopeXMLNS != ` xmlns:ext="urn:example:ext" xmlns:wd="urn:com.workday/bsvc"` {
		t.Fatalf("envelope xmlns = %q", w.envelopeXMLNS)
	}
	for _, tt := range []struct {
		name string
		data string
		want string
	}{
		{"not XML", "<definitions", "not well-formed"},
		{"not a WSDL", `<a xmlns="urn:x"/>`, "not a WSDL 1.1 document"},
		{"no SOAP 1.1 binding", `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"><binding name="b"/></definitions>`, "no SOAP 1.1 binding"},
		{"empty", ``, "empty"},
	} {
		if _, err := ParseWSDL([]byte(tt.data)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestSOAPEncode: a function's arguments written as node-soap writes a
// document/literal request.
func TestSOAPEncode(t *testing.T) {
	t.Parallel()
	w := staffWSDL(t)
	op := w.ops["Get_People"]
	const root = `<wd:Get_People_Request xmlns:wd="urn:com.workday/bsvc" xmlns="urn:com.workday/bsvc">`
	for _, tt := range []struct {
		name, args, want string
	}{
		{"attributes and $value", `{"Request_References":{"Person_Reference":{"ID":{"attributes":{"wd:type":"Employee_ID"},"$value":"21001"}}}}`,
			root + `<wd:Request_References><wd:Person_Reference><wd:ID wd:type="Employee_ID">21001</wd:ID></wd:Person_Reference></wd:Request_References></wd:Get_People_Request>`},
		{"numbers, booleans and key order", `{"Response_Filter":{"Count":100,"Page":2},"Unknown":true}`,
			root + `<wd:Response_Filter><wd:Count>100</wd:Count><wd:Page>2</wd:Page></wd:Response_Filter><wd:Unknown>true</wd:Unknown></wd:Get_People_Request>`},
		{"arrays repeat the element", `{"Request_References":{"Person_Reference":[{"ID":"1"},{"ID":["2","3"]}]}}`,
			root + `<wd:Request_References><wd:Person_Reference><wd:ID>1</wd:ID></wd:Person_Reference><wd:Person_Reference><wd:ID>2</wd:ID><wd:ID>3</wd:ID></wd:Person_Reference></wd:Request_References></wd:Get_People_Request>`},
		{"root attributes", `{"attributes":{"wd:version":"v44.0"},"Note":"a"}`,
			`<wd:Get_People_Request wd:version="v44.0" xmlns:wd="urn:com.workday/bsvc" xmlns="urn:com.workday/bsvc"><wd:Note>a</wd:Note></wd:Get_People_Request>`},
		{"escaping, CDATA kept", `{"Note":["a<b & \"c\"","<![CDATA[<x/>]]>"]}`,
			root + `<wd:Note>a&lt;b &amp; &quot;c&quot;</wd:Note><wd:Note><![CDATA[<x/>]]></wd:Note></wd:Get_People_Request>`},
		{"null is xsi:nil", `{"Note":null}`, root + `<wd:Note xsi:nil="true"></wd:Note></wd:Get_People_Request>`},
		{"$xml is raw", `{"Request_References":{"$xml":"<wd:Person_Reference/>"}}`,
			root + `<wd:Request_References><wd:Person_Reference/></wd:Request_References></wd:Get_People_Request>`},
		{"an explicit prefix", `{"ext:Extra":{"Inner":"x"}}`, root + `<ext:Extra><wd:Inner>x</wd:Inner></ext:Extra></wd:Get_People_Request>`},
		{"empty arguments", `{}`, root + `</wd:Get_People_Request>`},
		{"_xml replaces the body", `{"_xml":"<raw/>"}`, `<raw/>`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args, err := parseJNode([]byte(tt.args))
			if err != nil {
				t.Fatal(err)
			}
			got, err := w.encodeMessage(op, args)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func envelope(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><env:Body>` + body + `</env:Body></env:Envelope>`
}

// TestSOAPDecode: responses read into node-soap's shape.
func TestSOAPDecode(t *testing.T) {
	t.Parallel()
	w := staffWSDL(t)
	op := w.ops["Get_People"]
	const open = `<wd:Get_People_Response xmlns:wd="urn:com.workday/bsvc" wd:version="v1">`
	const close = `</wd:Get_People_Response>`
	for _, tt := range []struct {
		name, body, result string
		revive             bool
	}{
		{"a declared list is an array even with one element",
			open + `<wd:Response_Data><wd:Person><wd:Name>Ada</wd:Name><wd:Email>a@x</wd:Email></wd:Person></wd:Response_Data>` + close,
			`{"attributes":{"wd:version":"v1"},"Response_Data":{"Person":[{"Name":"Ada","Email":["a@x"]}]}}`, false},
		{"attributes with text become $value; a list of IDs",
			open + `<wd:Response_Data><wd:Person><wd:Person_Reference><wd:ID wd:type="WID">abc</wd:ID><wd:ID wd:type="Employee_ID">21001</wd:ID></wd:Person_Reference></wd:Person></wd:Response_Data>` + close,
			`{"attributes":{"wd:version":"v1"},"Response_Data":{"Person":[{"Person_Reference":{"ID":[{"attributes":{"wd:type":"WID"},"$value":"abc"},{"attributes":{"wd:type":"Employee_ID"},"$value":"21001"}]}}]}}`, false},
		{"numbers by type; a named simple type stays text",
			open + `<wd:Response_Results><wd:Total_Results> 12.50 </wd:Total_Results><wd:Total_Pages>3x</wd:Total_Pages><wd:Page>1</wd:Page></wd:Response_Results>` + close,
			`{"attributes":{"wd:version":"v1"},"Response_Results":{"Total_Results":12.5,"Total_Pages":3,"Page":"1"}}`, false},
		{"booleans, dates and NaN",
			open + `<wd:Response_Data><wd:Person><wd:Active>1</wd:Active><wd:Hire_Date>2020-01-02</wd:Hire_Date></wd:Person></wd:Response_Data><wd:Response_Results><wd:Total_Results>n/a</wd:Total_Results></wd:Response_Results>` + close,
			`{"attributes":{"wd:version":"v1"},"Response_Data":{"Person":[{"Active":true,"Hire_Date":{" pb":"d","v":"2020-01-02"}}]},"Response_Results":{"Total_Results":{" pb":"x","v":"NaN"}}}`, true},
		{"empty elements: null, or an empty string for strings; xsi:nil left out",
			open + `<wd:Response_Data><wd:Person><wd:Name/><wd:Active></wd:Active><wd:Email xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/></wd:Person></wd:Response_Data>` + close,
			`{"attributes":{"wd:version":"v1"},"Response_Data":{"Person":[{"Name":"","Active":null}]}}`, false},
		{"an undeclared repeated element becomes an array on its second",
			open + `<wd:Extra>a</wd:Extra><wd:Extra>b</wd:Extra><wd:Extra>c</wd:Extra>` + close,
			`{"attributes":{"wd:version":"v1"},"Extra":["a","b","c"]}`, false},
		{"inherited, grouped and recursive declarations",
			open + `<wd:Response_Data><wd:Person><wd:Person_Reference><wd:ID>1</wd:ID></wd:Person_Reference><wd:Manager_Reference><wd:ID>2</wd:ID></wd:Manager_Reference><wd:Reports><wd:Person><wd:Name>B</wd:Name></wd:Person></wd:Reports></wd:Person></wd:Response_Data>` + close,
			`{"attributes":{"wd:version":"v1"},"Response_Data":{"Person":[{"Person_Reference":{"ID":["1"]},"Manager_Reference":[{"ID":["2"]}],"Reports":{"Person":[{"Name":"B"}]}}]}}`, false},
		{"entities and CDATA are text", open + `<wd:Note>a &amp; <![CDATA[<b>]]></wd:Note>` + close,
			`{"attributes":{"wd:version":"v1"},"Note":"a & <b>"}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := w.decodeResponse(op, []byte(envelope(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			if string(d.Result) != tt.result || d.Revive != tt.revive || d.Fault != "" {
				t.Errorf("result %s (revive %v, fault %q)\nwant   %s (revive %v)", d.Result, d.Revive, d.Fault, tt.result, tt.revive)
			}
			var v any
			if err := json.Unmarshal(d.Result, &v); err != nil {
				t.Errorf("not JSON: %v", err)
			}
		})
	}

	t.Run("a Fault", func(t *testing.T) {
		d, err := w.decodeResponse(op, []byte(envelope(`<env:Fault><faultcode>SOAP-ENV:Client.validationError</faultcode><faultstring>Invalid ID value</faultstring><detail><wd:Validation_Fault xmlns:wd="urn:com.workday/bsvc"><wd:Validation_Error><wd:Message>Invalid ID value</wd:Message></wd:Validation_Error></wd:Validation_Fault></detail></env:Fault>`)))
		if err != nil {
			t.Fatal(err)
		}
		const msg = `SOAP-ENV:Client.validationError: Invalid ID value: {"Validation_Fault":{"Validation_Error":{"Message":"Invalid ID value"}}}`
		const root = `{"Envelope":{"Body":{"Fault":{"faultcode":"SOAP-ENV:Client.validationError","faultstring":"Invalid ID value","detail":{"Validation_Fault":{"Validation_Error":{"Message":"Invalid ID value"}}}}}}}`
		if d.Fault != msg || string(d.Root) != root {
			t.Errorf("fault %q\nroot %s", d.Fault, d.Root)
		}
	})
	for _, bad := range []string{"<a>", "not xml", "<a></b>", envelope("<x>") + "</y>"} {
		if _, err := w.decodeResponse(op, []byte(bad)); err == nil {
			t.Errorf("decode %q: no error", bad)
		}
	}
}

func TestJSNumberConversions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		text string
		conv textConv
		want string
	}{
		{"42", convInt, "42"}, {"-7.9", convInt, "-7"}, {"12abc", convInt, "12"}, {"abc", convInt, `{" pb":"x","v":"NaN"}`},
		{"1e3", convNumber, "1000"}, {"0x10", convNumber, "16"}, {"1_0", convNumber, `{" pb":"x","v":"NaN"}`},
		{"Infinity", convNumber, `{" pb":"x","v":"Infinity"}`}, {"inf", convNumber, `{" pb":"x","v":"NaN"}`},
		{"TRUE", convBool, "true"}, {"0", convBool, "false"}, {"x", convNone, `"x"`},
	} {
		if got := string(convertText(tt.text, tt.conv).json()); got != tt.want {
			t.Errorf("convert %q (%d) = %s, want %s", tt.text, tt.conv, got, tt.want)
		}
	}
}

// soapHost is a fake host with a WSDL source.
type soapHost struct {
	*fakeHost
	wsdl *WSDL
}

func (h *soapHost) WSDL(_ context.Context, u string) (*WSDL, error) {
	if strings.Contains(u, "missing") {
		return nil, &HostError{Code: "wsdl_fetch_failed", Message: "soap: fetch the WSDL: the server answered 404"}
	}
	return h.wsdl, nil
}

// TestSOAPClient: the soap module in the sandbox, as Workday's templates
// use it.
func TestSOAPClient(t *testing.T) {
	t.Parallel()
	rt := NewRuntime()
	w := staffWSDL(t)
	ok := envelope(`<wd:Get_People_Response xmlns:wd="urn:com.workday/bsvc"><wd:Response_Results><wd:Total_Pages>2</wd:Total_Pages></wd:Response_Results><wd:Response_Data><wd:Person><wd:Person_Reference><wd:ID wd:type="Employee_ID">21001</wd:ID></wd:Person_Reference><wd:Hire_Date>2020-01-02</wd:Hire_Date></wd:Person></wd:Response_Data></wd:Get_People_Response>`)
	fault := envelope(`<env:Fault><faultcode>env:Client</faultcode><faultstring>Bad</faultstring></env:Fault>`)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(ok))
	_ = zw.Close()
	const client = `const client = await soap.createClientAsync('https://wsdl.example.com/Staff.wsdl', {});
client.addHttpHeader('Accept-Encoding', 'gzip, deflate');
client.setSecurity(new soap.WSSecurity('isu@acme', 's3cr&t'));
client.setEndpoint('https://acme.example.com/ccx/service/acme/Staff/v1');
`
	for _, tt := range []struct {
		name    string
		status  int
		body    []byte
		headers map[string]string
		js      string
		want    string
	}{
		{"a call", 200, []byte(ok), nil, `const [res, raw, header, req] = await client['Get_PeopleAsync']({ Request_References: { Person_Reference: { ID: { attributes: { 'wd:type': 'Employee_ID' }, $value: '21001' } } } });
return { ids: res.Response_Data.Person[0].Person_Reference.ID, pages: res.Response_Results.Total_Pages, hired: res.Response_Data.Person[0].Hire_Date instanceof Date, raw: typeof raw, header: header === undefined, req: req.includes('<wd:ID wd:type="Employee_ID">21001</wd:ID>') };`,
			`{"ids":[{"attributes":{"wd:type":"Employee_ID"},"$value":"21001"}],"pages":2,"hired":true,"raw":"string","header":true,"req":true}`},
		{"a gzipped answer", 200, gz.Bytes(), map[string]string{"Content-Encoding": "gzip"},
			`const [res] = await client.Get_PeopleAsync({}); return res.Response_Results;`, `{"Total_Pages":2}`},
		{"the callback form", 200, []byte(ok), nil,
			`return await new Promise((resolve) => client.Get_People({}, (err, res, raw) => resolve([err, res.Response_Results, raw.length > 0])));`,
			`[null,{"Total_Pages":2},true]`},
		{"a Fault rejects with node-soap's error", 500, []byte(fault), nil,
			`try { await client.Get_PeopleAsync({}); } catch (e) { return [e.message, e.root.Envelope.Body.Fault.faultstring, e.response.status, typeof e.body]; }`,
			`["env:Client: Bad","Bad",500,"string"]`},
		{"an HTTP error without a Fault", 503, []byte("busy"), nil,
			`try { await client.Get_PeopleAsync({}); } catch (e) { return [e.message, e.response.status, e.response.data, e.root === undefined]; }`,
			`["Request failed with status code 503",503,"busy",true]`},
		{"an unknown operation is not a method", 200, []byte(ok), nil, `return [typeof client.Nope, typeof client.Get_People, typeof client.Get_PeopleAsync];`, `["undefined","function","function"]`},
		{"a WSDL that cannot be read", 200, []byte(ok), nil,
			`try { await soap.createClientAsync('https://wsdl.example.com/missing.wsdl'); } catch (e) { return [e.code, e.message]; }`,
			`["wsdl_fetch_failed","soap: fetch the WSDL: the server answered 404"]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var seen *HTTPRequest
			fh := &fakeHost{respond: func(req *HTTPRequest) *HTTPResponse {
				mu.Lock()
				seen = req
				mu.Unlock()
				h := map[string]string{"content-type": "text/xml; charset=utf-8"}
				for k, v := range tt.headers {
					h[k] = v
				}
				return &HTTPResponse{Status: tt.status, Headers: h, Body: tt.body}
			}}
			src := "import { createAction } from 'nango';\nimport soap from 'soap';\nexport default createAction({ exec: async (nango) => {\n" + client + tt.js + "\n} });"
			out, err := runAction(t, rt, src, `{}`, &soapHost{fakeHost: fh, wsdl: w}, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(out)); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			mu.Lock()
			defer mu.Unlock()
			if seen == nil {
				return
			}
			body := ""
			if seen.Body != nil {
				body = *seen.Body
			}
			if seen.Method != "POST" || seen.BaseURLOverride != "https://acme.example.com/ccx/service/acme/Staff/v1" || seen.Endpoint != "" ||
				seen.Headers["SOAPAction"] != `"urn:example:Get_People"` || seen.Headers["Content-Type"] != "text/xml; charset=utf-8" || seen.Headers["Accept-Encoding"] != "gzip, deflate" {
				t.Errorf("request = %+v", seen)
			}
			for _, part := range []string{`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:ext="urn:example:ext" xmlns:wd="urn:com.workday/bsvc"><soap:Header><wsse:Security`,
				`<wsse:Username>isu@acme</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">s3cr&amp;t</wsse:Password>`,
				`</soap:Header><soap:Body><wd:Get_People_Request xmlns:wd="urn:com.workday/bsvc" xmlns="urn:com.workday/bsvc">`} {
				if !strings.Contains(body, part) {
					t.Errorf("the envelope lacks %s:\n%s", part, body)
				}
			}
		})
	}
}

// TestWSDLCache: documents are kept by URL within the entry and byte
// bounds, the least recently used going first, and for TTL.
func TestWSDLCache(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/staff.wsdl")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(0, 0)
	var mu sync.Mutex
	fetches := map[string]int{}
	get := func(c *WSDLCache, u string) {
		t.Helper()
		if _, err := c.Get(context.Background(), u, func(context.Context) ([]byte, error) {
			mu.Lock()
			fetches[u]++
			mu.Unlock()
			return data, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	c := &WSDLCache{MaxEntries: 2, TTL: time.Minute, Now: func() time.Time { return now }}
	get(c, "a")
	get(c, "b")
	get(c, "a") // a is now the most recent
	get(c, "c") // b goes
	get(c, "a")
	get(c, "b")
	if fetches["a"] != 1 || fetches["b"] != 2 || fetches["c"] != 1 {
		t.Fatalf("fetches = %v", fetches)
	}
	now = now.Add(2 * time.Minute)
	get(c, "b")
	if fetches["b"] != 3 {
		t.Fatalf("an expired document was not fetched again: %v", fetches)
	}
	small := &WSDLCache{MaxBytes: len(data) + 1}
	get(small, "x")
	get(small, "y")
	get(small, "x")
	if fetches["x"] != 2 || small.lru.Len() != 1 {
		t.Fatalf("the byte bound kept %d documents (fetches %v)", small.lru.Len(), fetches)
	}
	bad := &WSDLCache{}
	_, err = bad.Get(context.Background(), "bad", func(context.Context) ([]byte, error) { return []byte("<x"), nil })
	var he *HostError
	if !errors.As(err, &he) || he.Code != "invalid_wsdl" || bad.lru.Len() != 0 {
		t.Fatalf("a bad document: %v", err)
	}
}

// soapFetchHost refuses a base URL override, as the proxy does for a URL
// outside the provider's base URL, and answers fetches.
type soapFetchHost struct {
	soapHost
	mu      sync.Mutex
	fetched []*FetchRequest
	answer  string
}

func (h *soapFetchHost) Proxy(context.Context, *HTTPRequest) (*HTTPResponse, error) {
	return nil, &HostError{Code: "base_url_override_not_allowed", Message: "Base-Url-Override must be the provider's base URL"}
}

func (h *soapFetchHost) Fetch(_ context.Context, req *FetchRequest) (*HTTPResponse, error) {
	h.mu.Lock()
	h.fetched = append(h.fetched, req)
	h.mu.Unlock()
	return &HTTPResponse{Status: 200, Headers: map[string]string{"content-type": "text/xml"}, Body: []byte(h.answer)}, nil
}

// TestSOAPOutsideTheBaseURL: an endpoint the proxy will not send to (not
// the provider's) is sent as uncontrolledFetch sends.
func TestSOAPOutsideTheBaseURL(t *testing.T) {
	t.Parallel()
	h := &soapFetchHost{soapHost: soapHost{fakeHost: &fakeHost{}, wsdl: staffWSDL(t)},
		answer: envelope(`<wd:Get_People_Response xmlns:wd="urn:com.workday/bsvc"><wd:Response_Results><wd:Page>1</wd:Page></wd:Response_Results></wd:Get_People_Response>`)}
	src := `import { createAction } from 'nango';
import soap from 'soap';
export default createAction({ exec: async () => {
  const client = await soap.createClientAsync('https://wsdl.example.com/Staff.wsdl');
  client.setSecurity(new soap.BasicAuthSecurity('u', 'p'));
  const [res] = await client.Get_PeopleAsync({});
  return [res, client.lastEndpoint];
} });`
	out, err := runAction(t, NewRuntime(), src, `{}`, h, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != `[{"Response_Results":{"Page":"1"}},"https://staff.example.com/ccx/service/acme/Staff/v1"]` {
		t.Fatalf("out = %s", got)
	}
	if len(h.fetched) != 1 || h.fetched[0].URL != "https://staff.example.com/ccx/service/acme/Staff/v1" || h.fetched[0].Method != "POST" || h.fetched[0].Headers["Authorization"] != "Basic dTpw" {
		t.Fatalf("fetched %+v", h.fetched)
	}
}

// BenchmarkSOAPDecode reads a page of 100 people, the size of a Workday
// sync's page.
func BenchmarkSOAPDecode(b *testing.B) {
	w := staffWSDL(b)
	op := w.ops["Get_People"]
	var sb strings.Builder
	sb.WriteString(`<wd:Get_People_Response xmlns:wd="urn:com.workday/bsvc"><wd:Response_Results><wd:Total_Results>1000</wd:Total_Results><wd:Total_Pages>10</wd:Total_Pages><wd:Page>1</wd:Page></wd:Response_Results><wd:Response_Data>`)
	for i := range 100 {
		sb.WriteString(`<wd:Person><wd:Person_Reference><wd:ID wd:type="WID">0123456789abcdef0123456789abcdef</wd:ID><wd:ID wd:type="Employee_ID">` + strings.Repeat("1", i%5+1) +
			`</wd:ID></wd:Person_Reference><wd:Name>Ada Lovelace</wd:Name><wd:Email>ada@example.com</wd:Email><wd:Email>ada@home.example.com</wd:Email><wd:Active>1</wd:Active><wd:Hire_Date>2020-01-02</wd:Hire_Date></wd:Person>`)
	}
	sb.WriteString(`</wd:Response_Data></wd:Get_People_Response>`)
	body := []byte(envelope(sb.String()))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.decodeResponse(op, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseWSDL parses the test service's description.
func BenchmarkParseWSDL(b *testing.B) {
	data, err := os.ReadFile("testdata/staff.wsdl")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseWSDL(data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestWriteJSONString(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "plain", `q"uote\back`, "line\nfeed\r\ttab\x01", "<a & b>", "é😀", "bad\xffutf8", "\u2028sep"} {
		var b bytes.Buffer
		writeJSONString(&b, s)
		var got string
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Errorf("%q → %s: %v", s, b.Bytes(), err)
			continue
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if got != want {
			t.Errorf("%q → %s → %q", s, b.Bytes(), got)
		}
	}
}

// TestSOAPDryRun: a dry run reaches the WSDL and the service through the
// inner host and records the call without the WS-Security password.
func TestSOAPDryRun(t *testing.T) {
	t.Parallel()
	inner := &soapHost{fakeHost: &fakeHost{respond: func(*HTTPRequest) *HTTPResponse {
		return &HTTPResponse{Status: 200, Headers: map[string]string{"content-type": "text/xml"}, Body: []byte(envelope(`<wd:Get_People_Response xmlns:wd="urn:com.workday/bsvc"/>`))}
	}}, wsdl: staffWSDL(t)}
	c := NewCapture(inner, nil, nil, true)
	src := `import { createAction } from 'nango';
import soap from 'soap';
export default createAction({ exec: async () => {
  const client = await soap.createClientAsync('https://wsdl.example.com/Staff.wsdl');
  const digest = new soap.WSSecurity('isu', 'hunter2', { passwordType: 'PasswordDigest', hasTimeStamp: false }).toXML();
  client.setSecurity(new soap.WSSecurity('isu', 'hunter2'));
  const [res] = await client.Get_PeopleAsync({});
  return [res, /#PasswordDigest">[A-Za-z0-9+\/]{27}=<\/wsse:Password><wsse:Nonce [^>]+>[A-Za-z0-9+\/]{22}==</.test(digest), digest.includes('Timestamp')];
} });`
	out, err := runAction(t, NewRuntime(), src, `{}`, c, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(out)) != "[null,true,false]" {
		t.Fatalf("out = %s", out)
	}
	calls := c.Result().Calls
	if len(calls) != 1 || calls[0].Endpoint != "https://staff.example.com/ccx/service/acme/Staff/v1" {
		t.Fatalf("calls = %+v", calls)
	}
	var data string
	if err := json.Unmarshal(calls[0].Data, &data); err != nil || strings.Contains(data, "hunter2") || !strings.Contains(data, `#PasswordText">[redacted]</wsse:Password>`) {
		t.Fatalf("recorded body = %s", data)
	}
	if got := redactWSSecurity(`<Password>a</Password><x:Password Type="t">b</x:Password><PasswordX>c</PasswordX>`); got != `<Password>[redacted]</Password><x:Password Type="t">[redacted]</x:Password><PasswordX>c</PasswordX>` {
		t.Fatalf("redact = %s", got)
	}
}

// TestSOAPEncodeTNS: a WSDL naming its namespace tns, which node-soap
// leaves unprefixed (a default namespace) while declaring it on the
// Envelope.
func TestSOAPEncodeTNS(t *testing.T) {
	t.Parallel()
	w, err := ParseWSDL([]byte(`<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:t" targetNamespace="urn:t">
<types><xs:schema targetNamespace="urn:t" elementFormDefault="qualified"><xs:element name="Ping"><xs:complexType><xs:sequence><xs:element name="Item" type="xs:string" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element></xs:schema></types>
<message name="In"><part name="p" element="tns:Ping"/></message>
<portType name="P"><operation name="Ping"><input message="tns:In"/></operation></portType>
<binding name="B" type="tns:P"><soap:binding style="document"/><operation name="Ping"><soap:operation/></operation></binding>
</definitions>`))
	if err != nil {
		t.Fatal(err)
	}
	args, _ := parseJNode([]byte(`{"Item":["a","b"]}`))
	got, err := w.encodeMessage(w.ops["Ping"], args)
	if err != nil {
		t.Fatal(err)
	}
	if got != `<Ping xmlns="urn:t"><Item>a</Item><Item>b</Item></Ping>` || w.envelopeXMLNS != ` xmlns:tns="urn:t"` || w.Endpoint != "" {
		t.Errorf("message %s, envelope xmlns %q, endpoint %q", got, w.envelopeXMLNS, w.Endpoint)
	}
}
