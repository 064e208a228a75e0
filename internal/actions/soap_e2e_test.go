package actions_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/internal/app/apptest"
	"github.com/patchbay/patchbay/internal/providersim"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/workday"
)

// getWorkers is a function in the style of Workday's templates: a soap
// client from the WSDL, WS-Security, the tenant's endpoint, and
// Get_Workers by ID or by page.
const getWorkers = `import { createAction } from 'nango';
import * as z from 'zod';
import soap from 'soap';

// base stands for Workday's hosts (the simulator's address), which the
// templates write into their URLs.
async function getSoapClient(connection: any, base: string, wsdl?: string) {
  const { credentials, connection_config } = connection;
  const wsdlUrl = wsdl ?? base + '/wsdl/Human_Resources.wsdl';
  const endpointUrl = base + '/ccx/service/' + connection_config['tenant'] + '/Human_Resources/v44.0';
  const client = await soap.createClientAsync(wsdlUrl, {});
  client.addHttpHeader('Accept-Encoding', 'gzip, deflate');
  client.setSecurity(new soap.WSSecurity(credentials.username, credentials.password));
  client.setEndpoint(endpointUrl);
  return client;
}

export default createAction({
  description: 'Workers of the simulated Workday',
  version: '1.0.0',
  input: z.object({ base: z.string(), id: z.string().optional(), page: z.number().optional(), count: z.number().optional(), wsdl: z.string().optional() }),
  output: z.any(),
  exec: async (nango, input) => {
    const connection = await nango.getConnection();
    try {
      const client = await getSoapClient(connection, input.base, input.wsdl);
      const args = input.id
        ? { Request_References: { Worker_Reference: { ID: { attributes: { 'wd:type': 'Employee_ID' }, $value: input.id } } }, Response_Group: { Include_Personal_Information: true } }
        : { Response_Filter: { Page: input.page ?? 1, Count: input.count ?? 100 } };
      const [res, raw, , req] = await client['Get_WorkersAsync'](args);
      const workers = res?.Response_Data?.Worker ?? [];
      const w = workers[0];
      const data = w?.Worker_Data;
      return {
        version: res.attributes,
        results: res.Response_Results,
        workers: Array.isArray(workers) ? workers.length : 'not an array',
        ids: w?.Worker_Reference?.ID,
        first: data?.Personal_Data?.Name_Data?.First_Name,
        emails: data?.Personal_Data?.Contact_Data?.Email_Address_Data?.map((e: any) => e.Email_Address),
        usage: data?.Personal_Data?.Contact_Data?.Email_Address_Data?.[0]?.Usage_Data?.[0]?.Type_Data?.[0]?.attributes,
        hired: data?.Employment_Data?.Worker_Job_Data?.[0]?.Position_Data?.Hire_Date instanceof Date,
        active: data?.Active,
        terminated: data ? 'Termination_Date' in data : undefined,
        raw: typeof raw === 'string' && raw.includes('Get_Workers_Response'),
        sentPassword: req.includes('wsse:Password'),
      };
    } catch (e: any) {
      return { error: e.message, code: e.code, fault: e.root?.Envelope?.Body?.Fault?.faultcode, status: e.response?.status };
    }
  },
});
`

// TestSOAPEndToEnd: a function in Workday's style against the simulated
// SOAP service through a real server: the WSDL fetched through the
// outbound policy, the request through the proxy with the connection's
// credentials, the answer in node-soap's shape; a Fault; WSDLs that are
// refused.
func TestSOAPEndToEnd(t *testing.T) {
	t.Parallel()
	w := &world{t: t, sim: providersim.Start(t, providersim.Options{})}
	file := filepath.Join(t.TempDir(), "providers.yaml")
	if err := os.WriteFile(file, []byte(w.sim.CatalogYAML()), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &apptest.LogBuffer{}
	dataDir := t.TempDir()
	w.pb = apptest.Start(t, apptest.Options{Backend: apptest.Backends()[0], DataDir: dataDir, Logs: logs,
		Env: map[string]string{"PATCHBAY_PROVIDERS_FILE": file, "PATCHBAY_PROXY_ALLOWED_NETWORKS": "127.0.0.0/8"}})
	base := w.sim.URL() + "/workday"
	w.call("POST", "/integrations", map[string]any{"unique_key": "workday", "provider": "workday"}, nil, http.StatusOK)
	w.call("POST", "/connections", map[string]any{"provider_config_key": "workday", "connection_id": "wd-1",
		"connection_config": map[string]any{"hostname": "127.0.0.1", "tenant": workday.DefaultTenant},
		"credentials":       map[string]any{"type": "BASIC", "username": workday.DefaultUsername, "password": workday.DefaultPassword}}, nil, http.StatusCreated)
	w.deploy(map[string]string{"workday/actions/get-workers.ts": getWorkers})

	run := func(input map[string]any) map[string]any {
		t.Helper()
		input["base"] = base
		res := w.call("POST", "/action/trigger", map[string]any{"action_name": "get-workers", "input": input},
			map[string]string{"Provider-Config-Key": "workday", "Connection-Id": "wd-1"}, http.StatusOK)
		return res.json(t)
	}
	compact := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}

	byID := run(map[string]any{"id": "21001"})
	for k, want := range map[string]string{
		"version":      `{"wd:version":"v44.0"}`,
		"results":      `{"Page":1,"Page_Results":1,"Total_Pages":1,"Total_Results":1}`,
		"workers":      `1`,
		"emails":       `["ada.hopper0@acme.example.com","ada0@home.example.com"]`,
		"usage":        `{"wd:Primary":"1"}`,
		"hired":        `true`,
		"active":       `true`,
		"terminated":   `false`,
		"raw":          `true`,
		"sentPassword": `true`,
	} {
		if k == "emails" {
			// The names are generated from the seed; the shape is what counts.
			var emails []string
			if b, _ := json.Marshal(byID[k]); json.Unmarshal(b, &emails) != nil || len(emails) != 2 || !strings.HasSuffix(emails[1], "0@home.example.com") {
				t.Errorf("emails = %v, want a list of two", byID[k])
			}
			continue
		}
		if got := compact(byID[k]); got != want {
			t.Errorf("by ID: %s = %s, want %s", k, got, want)
		}
	}
	ids := compact(byID["ids"])
	if !strings.HasPrefix(ids, `[{"$value":"`) || !strings.HasSuffix(ids, `","attributes":{"wd:type":"WID"}},{"$value":"21001","attributes":{"wd:type":"Employee_ID"}}]`) {
		t.Errorf("ids = %s", ids)
	}

	page := run(map[string]any{"page": 3, "count": 10})
	if got := compact(page["results"]); got != `{"Page":3,"Page_Results":5,"Total_Pages":3,"Total_Results":25}` || compact(page["workers"]) != "5" {
		t.Errorf("page 3: results %s, %v workers", got, page["workers"])
	}

	fault := run(map[string]any{"id": "99999"})
	if msg, _ := fault["error"].(string); !strings.HasPrefix(msg, "SOAP-ENV:Client.validationError: Invalid ID value.") ||
		fault["fault"] != "SOAP-ENV:Client.validationError" || compact(fault["status"]) != "500" {
		t.Errorf("fault = %v", fault)
	}

	for _, tt := range []struct{ name, wsdl, code, message string }{
		{"an internal address", "http://169.254.169.254/Human_Resources.wsdl", "url_not_allowed", "soap: the WSDL's URL is not allowed"},
		{"too big", w.sim.URL() + "/workday/wsdl/oversized.wsdl", "wsdl_too_large", "soap: the WSDL is larger than 32 MiB"},
	} {
		got := run(map[string]any{"wsdl": tt.wsdl})
		if msg, _ := got["error"].(string); got["code"] != tt.code || !strings.HasPrefix(msg, tt.message) {
			t.Errorf("%s: %v", tt.name, got)
		}
	}

	// Every SOAP request went through the proxy, which added the BASIC
	// connection's credentials; none went around it.
	calls := w.sim.Requests(sim.RequestFilter{Provider: "workday", Path: "/workday/ccx/*"})
	basic := w.sim.Requests(sim.RequestFilter{Provider: "workday", Path: "/workday/ccx/*", Note: "http_basic=present"})
	if len(calls) != 3 || len(basic) != 3 {
		t.Errorf("the simulator saw %d SOAP calls, %d through the proxy; want 3 and 3", len(calls), len(basic))
	}
	if n := len(w.sim.Requests(sim.RequestFilter{Provider: "workday", Path: "/workday/wsdl/Human_Resources.wsdl"})); n != 1 {
		t.Errorf("the WSDL was fetched %d times, want once (then cached)", n)
	}

	// The password went into WS-Security headers, never into the logs or
	// onto disk.
	if logs.String() == "" {
		t.Error("no logs were captured")
	}
	if strings.Contains(logs.String(), workday.DefaultPassword) {
		t.Error("the server's logs hold the WS-Security password")
	}
	w.pb.Stop(t)
	err := filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(workday.DefaultPassword)) {
			t.Errorf("%s holds the WS-Security password in plain text", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
