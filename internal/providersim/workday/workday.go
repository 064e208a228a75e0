package workday

import (
	"crypto/subtle"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

const name = "workday"

// Credentials the simulated service accepts after a reset.
const (
	DefaultTenant   = "acme"
	DefaultUsername = "isu_patchbay@acme"
	DefaultPassword = "Workday-Sim-Password-0001"
)

// Options tune the simulated service.
type Options struct {
	// Workers is the number of workers of every tenant (default 25).
	Workers int
}

// Provider is the simulated Workday.
type Provider struct {
	opts     Options
	s        *sim.Server
	accounts *sim.Registry[string] // password by username
}

// New returns the simulated Workday.
func New(opts Options) *Provider {
	if opts.Workers <= 0 {
		opts.Workers = 25
	}
	return &Provider{opts: opts, accounts: sim.NewRegistry(map[string]string{DefaultUsername: DefaultPassword})}
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return name }

// Reset forgets added accounts.
func (p *Provider) Reset() { p.accounts.Reset() }

// Mount implements sim.Provider.
func (p *Provider) Mount(s *sim.Server, mux *http.ServeMux) {
	p.s = s
	mux.HandleFunc("GET /workday/wsdl/Human_Resources.wsdl", p.wsdl)
	mux.HandleFunc("GET /workday/wsdl/oversized.wsdl", oversized)
	mux.HandleFunc("POST /workday/ccx/service/{tenant}/Human_Resources/{version}", p.endpoint)
}

// CatalogYAML is Nango's workday entry (BASIC, the base URL made of the
// connection's hostname) pointed at the simulator: its scheme and port,
// then /workday. A connection's hostname is the simulator's host
// (127.0.0.1 for a local one).
func (p *Provider) CatalogYAML(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		u = &url.URL{Scheme: "http", Host: "127.0.0.1"}
	}
	host := "${connectionConfig.hostname}"
	if port := u.Port(); port != "" {
		host += ":" + port
	}
	return fmt.Sprintf(`workday:
    display_name: Workday (simulated)
    categories:
        - hr
    auth_mode: BASIC
    proxy:
        base_url: %[1]s://%[2]s/workday
    connection_config:
        hostname:
            type: string
            title: Hostname
            description: The simulator's host.
            example: %[3]s
        tenant:
            type: string
            title: Tenant
            example: %[4]s
    credentials:
        username:
            type: string
            title: Integration system user
            example: %[5]s
        password:
            type: string
            title: Password
            secret: true
    docs: https://community.workday.com/sites/default/files/file-hosting/productionapi/index.html

`, u.Scheme, host, u.Hostname(), DefaultTenant, DefaultUsername)
}

// wsdl serves the service's description, its address on this simulator.
func (p *Provider) wsdl(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	addr := p.s.RequestBaseURL(r) + "/workday/ccx/service/" + DefaultTenant + "/Human_Resources/v44.0"
	_, _ = io.WriteString(w, strings.Replace(humanResourcesWSDL, "{{address}}", addr, 1))
}

// oversized serves 33 MiB: a comment, then a WSDL nobody reads.
func oversized(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = io.WriteString(w, `<?xml version="1.0"?><!--`)
	pad := strings.Repeat(" ", 1<<20)
	for range 33 {
		_, _ = io.WriteString(w, pad)
	}
	_, _ = io.WriteString(w, `--><definitions xmlns="http://schemas.xmlsoap.org/wsdl/"/>`)
}

// envelope is what the endpoint reads of a request.
type envelope struct {
	Header struct {
		Security struct {
			UsernameToken struct {
				Username string `xml:"Username"`
				Password struct {
					Type  string `xml:"Type,attr"`
					Value string `xml:",chardata"`
				} `xml:"Password"`
			} `xml:"UsernameToken"`
		} `xml:"Security"`
	} `xml:"Header"`
	Body struct {
		Inner []byte `xml:",innerxml"`
	} `xml:"Body"`
}

type getWorkers struct {
	XMLName           xml.Name
	Version           string `xml:"version,attr"`
	RequestReferences *struct {
		WorkerReference []struct {
			ID []idRef `xml:"ID"`
		} `xml:"Worker_Reference"`
	} `xml:"Request_References"`
	ResponseFilter struct {
		Page  string `xml:"Page"`
		Count string `xml:"Count"`
	} `xml:"Response_Filter"`
}

type idRef struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

// endpoint serves the SOAP endpoint.
func (p *Provider) endpoint(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := r.BasicAuth(); ok {
		sim.Annotate(r, "http_basic", "present")
	} else {
		sim.Annotate(r, "http_basic", "absent")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil {
		writeFault(w, "SOAP-ENV:Client", "the request is not a SOAP envelope", "")
		return
	}
	tok := env.Header.Security.UsernameToken
	want, ok := p.accounts.Get(tok.Username)
	if !ok || !strings.HasSuffix(tok.Password.Type, "#PasswordText") || subtle.ConstantTimeCompare([]byte(want), []byte(strings.TrimSpace(tok.Password.Value))) != 1 {
		writeFault(w, "SOAP-ENV:Client.authenticationError", "invalid username or password", "")
		return
	}
	var req getWorkers
	if err := xml.Unmarshal(env.Body.Inner, &req); err != nil {
		writeFault(w, "SOAP-ENV:Client", "the Body holds no request", "")
		return
	}
	sim.Annotate(r, "operation", strings.TrimSuffix(req.XMLName.Local, "_Request"))
	if req.XMLName.Local != "Get_Workers_Request" {
		writeFault(w, "SOAP-ENV:Client", "unknown operation "+req.XMLName.Local, "")
		return
	}
	if req.Version != "" && !strings.HasPrefix(req.Version, "v") {
		writeFault(w, "SOAP-ENV:Client.validationError", "Invalid version "+req.Version, "")
		return
	}
	p.getWorkers(w, r.PathValue("tenant"), &req)
}

func (p *Provider) getWorkers(w http.ResponseWriter, tenant string, req *getWorkers) {
	all := p.workers(tenant)
	var picked []worker
	page, count, total := 1, 100, 0
	if req.RequestReferences != nil {
		for _, ref := range req.RequestReferences.WorkerReference {
			for _, id := range ref.ID {
				wk, ok := findWorker(all, id)
				if !ok {
					writeFault(w, "SOAP-ENV:Client.validationError", "Invalid ID value.  '"+id.Value+"' is not a valid ID value for type = "+id.Type,
						`<wd:Validation_Fault xmlns:wd="urn:com.workday/bsvc"><wd:Validation_Error><wd:Message>Invalid ID value.  '`+xmlText(id.Value)+`' is not a valid ID value for type = `+xmlText(id.Type)+`</wd:Message><wd:Xpath>/ns0:Get_Workers_Request[1]/ns0:Request_References[1]/ns0:Worker_Reference[1]/ns0:ID[1]</wd:Xpath></wd:Validation_Error></wd:Validation_Fault>`)
					return
				}
				picked = append(picked, wk)
			}
		}
		total, count = len(picked), max(len(picked), 1)
	} else {
		if v, err := strconv.Atoi(strings.TrimSpace(req.ResponseFilter.Page)); err == nil && v > 0 {
			page = v
		}
		if v, err := strconv.Atoi(strings.TrimSpace(req.ResponseFilter.Count)); err == nil && v > 0 {
			count = min(v, 999)
		}
		total = len(all)
		if start := (page - 1) * count; start < len(all) {
			picked = all[start:min(start+count, len(all))]
		}
	}
	pages := (total + count - 1) / count
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><wd:Get_Workers_Response xmlns:wd="urn:com.workday/bsvc" wd:version="v44.0">`)
	fmt.Fprintf(&b, `<wd:Response_Results><wd:Total_Results>%d</wd:Total_Results><wd:Total_Pages>%d</wd:Total_Pages><wd:Page_Results>%d</wd:Page_Results><wd:Page>%d</wd:Page></wd:Response_Results>`, total, pages, len(picked), page)
	b.WriteString(`<wd:Response_Data>`)
	for _, wk := range picked {
		wk.write(&b)
	}
	b.WriteString(`</wd:Response_Data></wd:Get_Workers_Response></env:Body></env:Envelope>`)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = io.WriteString(w, b.String())
}

// writeFault writes a SOAP 1.1 Fault as Workday does: HTTP 500.
func writeFault(w http.ResponseWriter, code, msg, detail string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	d := ""
	if detail != "" {
		d = "<detail>" + detail + "</detail>"
	}
	_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>`+
		xmlText(code)+`</faultcode><faultstring>`+xmlText(msg)+`</faultstring>`+d+`</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>`)
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
