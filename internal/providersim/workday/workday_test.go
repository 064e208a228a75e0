package workday

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

func soapRequest(user, password, body string) string {
	return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wd="urn:com.workday/bsvc"><soap:Header>` +
		`<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><wsse:UsernameToken><wsse:Username>` + user +
		`</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">` + password +
		`</wsse:Password></wsse:UsernameToken></wsse:Security></soap:Header><soap:Body>` + body + `</soap:Body></soap:Envelope>`
}

func TestWorkday(t *testing.T) {
	t.Parallel()
	p := New(Options{Workers: 5})
	s := simtest.Start(t, sim.Options{}, p)
	post := func(body string) (int, string) {
		t.Helper()
		resp, err := http.Post(s.BaseURL()+"/workday/ccx/service/acme/Human_Resources/v44.0", "text/xml", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	wsdl := s.Call(t, http.MethodGet, "/workday/wsdl/Human_Resources.wsdl", nil)
	if wsdl.Status != 200 || !strings.Contains(wsdl.Text(), `<soap:address location="`+s.BaseURL()+`/workday/ccx/service/acme/Human_Resources/v44.0"/>`) {
		t.Fatalf("WSDL: %d %.300s", wsdl.Status, wsdl.Text())
	}
	for _, tt := range []struct {
		name, body string
		status     int
		has        []string
	}{
		{"a page", soapRequest(DefaultUsername, DefaultPassword, `<wd:Get_Workers_Request wd:version="v44.0"><wd:Response_Filter><wd:Page>2</wd:Page><wd:Count>2</wd:Count></wd:Response_Filter></wd:Get_Workers_Request>`), 200,
			[]string{`<wd:Total_Results>5</wd:Total_Results><wd:Total_Pages>3</wd:Total_Pages><wd:Page_Results>2</wd:Page_Results><wd:Page>2</wd:Page>`, `<wd:ID wd:type="Employee_ID">21003</wd:ID>`, `<wd:ID wd:type="Employee_ID">21004</wd:ID>`}},
		{"by ID", soapRequest(DefaultUsername, DefaultPassword, `<wd:Get_Workers_Request><wd:Request_References><wd:Worker_Reference><wd:ID wd:type="Employee_ID">21005</wd:ID></wd:Worker_Reference></wd:Request_References></wd:Get_Workers_Request>`), 200,
			[]string{`<wd:Total_Results>1</wd:Total_Results>`, `<wd:ID wd:type="Employee_ID">21005</wd:ID>`}},
		{"an unknown ID", soapRequest(DefaultUsername, DefaultPassword, `<wd:Get_Workers_Request><wd:Request_References><wd:Worker_Reference><wd:ID wd:type="Employee_ID">9</wd:ID></wd:Worker_Reference></wd:Request_References></wd:Get_Workers_Request>`), 500,
			[]string{`<faultcode>SOAP-ENV:Client.validationError</faultcode>`, `<wd:Validation_Fault`}},
		{"a wrong password", soapRequest(DefaultUsername, "nope", `<wd:Get_Workers_Request/>`), 500, []string{`SOAP-ENV:Client.authenticationError`}},
		{"no security header", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Get_Workers_Request/></soap:Body></soap:Envelope>`, 500, []string{`authenticationError`}},
		{"another operation", soapRequest(DefaultUsername, DefaultPassword, `<wd:Get_Locations_Request/>`), 500, []string{`unknown operation Get_Locations_Request`}},
		{"not XML", "{}", 500, []string{`not a SOAP envelope`}},
	} {
		status, body := post(tt.body)
		if status != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, status, tt.status, body)
		}
		for _, h := range tt.has {
			if !strings.Contains(body, h) {
				t.Errorf("%s: the answer lacks %s:\n%s", tt.name, h, body)
			}
		}
	}
	if n := len(s.Requests(sim.RequestFilter{Provider: "workday", Note: "http_basic=absent"})); n != 7 {
		t.Errorf("%d requests noted without Basic auth, want 7", n)
	}
}
