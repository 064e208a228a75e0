package google_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/google"
	"github.com/patchbay/patchbay/internal/providersim/sim"
	"github.com/patchbay/patchbay/internal/providersim/sim/simtest"
)

// sheetsFixture is a simulator with one spreadsheet owned by the default
// user, holding the given sheets (the first one is "Sheet1" unless named).
type sheetsFixture struct {
	*bundle
	tok string
	id  string
}

func newSheets(t *testing.T, titles ...string) *sheetsFixture {
	t.Helper()
	b := setup(t, google.Options{})
	f := &sheetsFixture{bundle: b, tok: b.token(google.DefaultUser, sheetsScope)}
	body := map[string]any{"properties": map[string]any{"title": "Fixture"}}
	var sheets []any
	for _, title := range titles {
		sheets = append(sheets, map[string]any{"properties": map[string]any{"title": title}})
	}
	if len(sheets) > 0 {
		body["sheets"] = sheets
	}
	f.id = b.must(http.StatusOK, "POST", "/google/v4/spreadsheets", f.tok, body)["spreadsheetId"].(string)
	return f
}

func (f *sheetsFixture) valuesPath(rng, suffix string, q url.Values) string {
	p := "/google/v4/spreadsheets/" + f.id + "/values/" + url.PathEscape(rng) + suffix
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

func (f *sheetsFixture) get(rng string, q url.Values) response {
	f.t.Helper()
	return f.call("GET", f.valuesPath(rng, "", q), f.tok, nil)
}

func (f *sheetsFixture) write(option string, data ...map[string]any) map[string]any {
	f.t.Helper()
	return f.must(http.StatusOK, "POST", "/google/v4/spreadsheets/"+f.id+"/values:batchUpdate", f.tok,
		map[string]any{"valueInputOption": option, "data": data})
}

func (f *sheetsFixture) appendRows(rng string, q url.Values, values [][]any) response {
	f.t.Helper()
	return f.call("POST", f.valuesPath(rng, ":append", q), f.tok, map[string]any{"values": values})
}

func vr(rng string, values ...[]any) map[string]any {
	return map[string]any{"range": rng, "values": values}
}

func TestSpreadsheetCreateAndGet(t *testing.T) {
	t.Parallel()
	b := setup(t, google.Options{})
	tok := b.token(google.DefaultUser, sheetsScope)
	created := b.must(http.StatusOK, "POST", "/google/v4/spreadsheets", tok, map[string]any{
		"properties": map[string]any{"title": "Budget"},
		"sheets": []any{
			map[string]any{"properties": map[string]any{"title": "Data"}},
			map[string]any{"properties": map[string]any{"title": "My Sheet", "gridProperties": map[string]any{"rowCount": 50, "columnCount": 5}}},
		},
	})
	id := created["spreadsheetId"].(string)
	if len(id) != 44 || created["spreadsheetUrl"] != "https://docs.google.com/spreadsheets/d/"+id+"/edit" {
		t.Errorf("id %q url %v", id, created["spreadsheetUrl"])
	}
	got := b.must(http.StatusOK, "GET", "/google/v4/spreadsheets/"+id, tok, nil)
	if jsonString(got) != jsonString(created) {
		t.Errorf("get = %s\nwant %s", jsonString(got), jsonString(created))
	}
	if got["properties"].(map[string]any)["title"] != "Budget" {
		t.Errorf("title = %v", got["properties"])
	}
	sheets := got["sheets"].([]any)
	first := sheets[0].(map[string]any)["properties"].(map[string]any)
	second := sheets[1].(map[string]any)["properties"].(map[string]any)
	if first["sheetId"] != float64(0) || first["title"] != "Data" || first["index"] != float64(0) ||
		jsonString(first["gridProperties"]) != `{"columnCount":26,"rowCount":1000}` {
		t.Errorf("first sheet = %v", first)
	}
	if second["sheetId"] == float64(0) || second["title"] != "My Sheet" || second["index"] != float64(1) ||
		jsonString(second["gridProperties"]) != `{"columnCount":5,"rowCount":50}` {
		t.Errorf("second sheet = %v", second)
	}

	// An empty create gets one "Sheet1"; others may not read it.
	def := b.must(http.StatusOK, "POST", "/google/v4/spreadsheets", tok, nil)
	if s := def["sheets"].([]any); len(s) != 1 || s[0].(map[string]any)["properties"].(map[string]any)["title"] != "Sheet1" {
		t.Errorf("default sheets = %v", s)
	}
	if res := b.call("GET", "/google/v4/spreadsheets/nope", tok, nil); res.status != http.StatusNotFound || errorOf(t, res)["status"] != "NOT_FOUND" {
		t.Errorf("unknown spreadsheet: %d %s", res.status, res.raw)
	}
	if res := b.call("GET", "/google/v4/spreadsheets/"+id, b.token("mallory@example.com"), nil); res.status != http.StatusForbidden {
		t.Errorf("other user: %d %s", res.status, res.raw)
	}
	if res := b.call("POST", "/google/v4/spreadsheets", tok, map[string]any{"sheets": []any{
		map[string]any{"properties": map[string]any{"title": "Twin"}}, map[string]any{"properties": map[string]any{"title": "twin"}},
	}}); res.status != http.StatusBadRequest {
		t.Errorf("duplicate titles: %d", res.status)
	}

	// Structural batchUpdate: addSheet.
	reply := b.must(http.StatusOK, "POST", "/google/v4/spreadsheets/"+id+":batchUpdate", tok, map[string]any{
		"requests": []any{map[string]any{"addSheet": map[string]any{"properties": map[string]any{"title": "Added"}}}},
	})
	if props := reply["replies"].([]any)[0].(map[string]any)["addSheet"].(map[string]any)["properties"].(map[string]any); props["title"] != "Added" || props["index"] != float64(2) {
		t.Errorf("addSheet reply = %v", props)
	}
}

func TestValuesGet(t *testing.T) {
	t.Parallel()
	f := newSheets(t, "Sheet1", "My Sheet")
	f.write("RAW",
		vr("Sheet1!A1", []any{"Name", "Score", ""}, []any{"ann", 3.0}, []any{}, []any{"", "x"}),
		vr("'My Sheet'!B2", []any{"deep"}),
	)
	tests := []struct {
		rng       string
		q         url.Values
		wantRange string
		want      string // JSON of values, "" when absent
	}{
		{"Sheet1!A1:D10", nil, "Sheet1!A1:D10", `[["Name","Score"],["ann","3"],[],["","x"]]`},
		{"A1:D10", nil, "Sheet1!A1:D10", `[["Name","Score"],["ann","3"],[],["","x"]]`},
		{"Sheet1!A:A", nil, "Sheet1!A1:A1000", `[["Name"],["ann"]]`},
		{"Sheet1!A2:C", nil, "Sheet1!A2:C1000", `[["ann","3"],[],["","x"]]`},
		{"Sheet1", nil, "Sheet1!A1:Z1000", `[["Name","Score"],["ann","3"],[],["","x"]]`},
		{"Sheet1!A1:B4", url.Values{"majorDimension": {"COLUMNS"}}, "Sheet1!A1:B4", `[["Name","ann"],["Score","3","","x"]]`},
		{"Sheet1!B2", url.Values{"valueRenderOption": {"UNFORMATTED_VALUE"}}, "Sheet1!B2", `[[3]]`},
		{"Sheet1!E1:F2", nil, "Sheet1!E1:F2", ""},
		{"'My Sheet'!A1:C3", nil, "'My Sheet'!A1:C3", `[[],["","deep"]]`},
		{"my sheet", nil, "'My Sheet'!A1:Z1000", `[[],["","deep"]]`},
	}
	for _, tt := range tests {
		res := f.get(tt.rng, tt.q)
		if res.status != http.StatusOK {
			t.Errorf("%s: %d %s", tt.rng, res.status, res.raw)
			continue
		}
		if res.body["range"] != tt.wantRange || res.body["majorDimension"] == nil {
			t.Errorf("%s: range %v, want %s", tt.rng, res.body["range"], tt.wantRange)
		}
		got := ""
		if v, ok := res.body["values"]; ok {
			got = jsonString(v)
		}
		if got != tt.want {
			t.Errorf("%s: values %s, want %s", tt.rng, got, tt.want)
		}
	}
}

func TestValuesBadRanges(t *testing.T) {
	t.Parallel()
	f := newSheets(t)
	for _, rng := range []string{"Nope!A1", "Sheet1!A1:B2:C3", "Missing", "'Unclosed!A1", "Sheet1!A0", "Sheet1!", "'Nope'"} {
		for _, c := range []struct {
			method, suffix string
			q              url.Values
			body           any
		}{
			{"GET", "", nil, nil},
			{"PUT", "", url.Values{"valueInputOption": {"RAW"}}, map[string]any{"values": [][]any{{"a"}}}},
			{"POST", ":append", url.Values{"valueInputOption": {"RAW"}}, map[string]any{"values": [][]any{{"a"}}}},
		} {
			res := f.call(c.method, f.valuesPath(rng, c.suffix, c.q), f.tok, c.body)
			e := errorOf(t, res)
			if res.status != http.StatusBadRequest || e["message"] != "Unable to parse range: "+rng || e["status"] != "INVALID_ARGUMENT" {
				t.Errorf("%s %q: %d %s", c.method, rng, res.status, res.raw)
			}
		}
	}
	res := f.get("Sheet1!A1:A2000", nil)
	if e := errorOf(t, res); res.status != http.StatusBadRequest || e["message"] != "Range ('Sheet1'!A1:A2000) exceeds grid limits. Max rows: 1000, max columns: 26" {
		t.Errorf("past the grid: %d %s", res.status, res.raw)
	}
}

func TestAppendValueInputOptions(t *testing.T) {
	t.Parallel()
	input := []any{"42", "TRUE", "'007", "1,234", "=SUM(1,2)", "12.5%", 7.0, "hello"}
	tests := []struct {
		option      string
		unformatted string
		formatted   string
	}{
		{"RAW", `[["42","TRUE","'007","1,234","=SUM(1,2)","12.5%",7,"hello"]]`, `[["42","TRUE","'007","1,234","=SUM(1,2)","12.5%","7","hello"]]`},
		{"USER_ENTERED", `[[42,true,"007",1234,"=SUM(1,2)",0.125,7,"hello"]]`, `[["42","TRUE","007","1,234","=SUM(1,2)","12.5%","7","hello"]]`},
	}
	for _, tt := range tests {
		t.Run(tt.option, func(t *testing.T) {
			t.Parallel()
			f := newSheets(t)
			res := f.appendRows("Sheet1!A1", url.Values{"valueInputOption": {tt.option}}, [][]any{input})
			if res.status != http.StatusOK {
				t.Fatalf("append: %d %s", res.status, res.raw)
			}
			if _, ok := res.body["tableRange"]; ok {
				t.Errorf("empty sheet has tableRange %v", res.body["tableRange"])
			}
			if got := jsonString(res.body["updates"]); got != `{"spreadsheetId":"`+f.id+`","updatedCells":8,"updatedColumns":8,"updatedRange":"Sheet1!A1:H1","updatedRows":1}` {
				t.Errorf("updates = %s", got)
			}
			if got := jsonString(f.get("Sheet1!A1:H1", url.Values{"valueRenderOption": {"UNFORMATTED_VALUE"}}).body["values"]); got != tt.unformatted {
				t.Errorf("unformatted = %s, want %s", got, tt.unformatted)
			}
			if got := jsonString(f.get("Sheet1!A1:H1", nil).body["values"]); got != tt.formatted {
				t.Errorf("formatted = %s, want %s", got, tt.formatted)
			}
			// The next append extends the table.
			res = f.appendRows("Sheet1", url.Values{"valueInputOption": {tt.option}}, [][]any{{"next"}})
			if res.body["tableRange"] != "Sheet1!A1:H1" || res.body["updates"].(map[string]any)["updatedRange"] != "Sheet1!A2" {
				t.Errorf("second append = %s", res.raw)
			}
		})
	}
}

func TestAppendInsertDataOption(t *testing.T) {
	t.Parallel()
	tests := []struct {
		option   string
		rowCount float64
		column   string // column A after the append
	}{
		// OVERWRITE writes over "mid"; INSERT_ROWS pushes everything down.
		{"OVERWRITE", 1000, `[["h1"],["a"],["x"],["z"],[],["footer"],[],["below"]]`},
		{"", 1000, `[["h1"],["a"],["x"],["z"],[],["footer"],[],["below"]]`},
		{"INSERT_ROWS", 1002, `[["h1"],["a"],["x"],["z"],[],["mid"],[],["footer"],[],["below"]]`},
	}
	for _, tt := range tests {
		t.Run(tt.option, func(t *testing.T) {
			t.Parallel()
			f := newSheets(t)
			// A table in A1:B2, a gap, then more data: append goes after the
			// first table, not after the last row.
			f.write("RAW", vr("Sheet1!A1", []any{"h1", "h2"}, []any{"a", "b"}), vr("Sheet1!A4", []any{"mid"}, []any{}, []any{"footer"}, []any{}, []any{"below"}))
			// Row 3 is the gap; the table is A1:B2.
			q := url.Values{"valueInputOption": {"RAW"}}
			if tt.option != "" {
				q.Set("insertDataOption", tt.option)
			}
			res := f.appendRows("Sheet1!A1:B1", q, [][]any{{"x", "y"}, {"z", "w"}})
			if res.status != http.StatusOK {
				t.Fatalf("append: %d %s", res.status, res.raw)
			}
			if res.body["tableRange"] != "Sheet1!A1:B2" || res.body["updates"].(map[string]any)["updatedRange"] != "Sheet1!A3:B4" {
				t.Errorf("append = %s", res.raw)
			}
			if got := jsonString(f.get("Sheet1!A:A", nil).body["values"]); got != tt.column {
				t.Errorf("column A = %s, want %s", got, tt.column)
			}
			meta := f.must(http.StatusOK, "GET", "/google/v4/spreadsheets/"+f.id, f.tok, nil)
			grid := meta["sheets"].([]any)[0].(map[string]any)["properties"].(map[string]any)["gridProperties"].(map[string]any)
			if grid["rowCount"] != tt.rowCount {
				t.Errorf("rowCount = %v, want %v", grid["rowCount"], tt.rowCount)
			}
		})
	}
}

func TestAppendValidation(t *testing.T) {
	t.Parallel()
	f := newSheets(t)
	tests := []struct {
		q   url.Values
		msg string
	}{
		{url.Values{}, "'valueInputOption' is required but not specified"},
		{url.Values{"valueInputOption": {"SOMETIMES"}}, `Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), "SOMETIMES"`},
		{url.Values{"valueInputOption": {"RAW"}, "insertDataOption": {"SIDEWAYS"}}, `Invalid value at 'insert_data_option' (type.googleapis.com/google.apps.sheets.v4.InsertDataOption), "SIDEWAYS"`},
	}
	for _, tt := range tests {
		res := f.appendRows("Sheet1!A1", tt.q, [][]any{{"a"}})
		if res.status != http.StatusBadRequest || errorOf(t, res)["message"] != tt.msg {
			t.Errorf("%v: %d %s", tt.q, res.status, res.raw)
		}
	}
	if res := f.call("PUT", f.valuesPath("Sheet1!A1", "", nil), f.tok, map[string]any{"values": [][]any{{"a"}}}); res.status != http.StatusBadRequest {
		t.Errorf("update without valueInputOption: %d", res.status)
	}
}

func TestValuesBatchUpdate(t *testing.T) {
	t.Parallel()
	f := newSheets(t, "Sheet1", "Other")
	out := f.write("USER_ENTERED",
		vr("Sheet1!A1:B2", []any{1.0, "2"}, []any{"3", nil}),
		vr("Other!C3", []any{"x"}),
	)
	want := `{"responses":[` +
		`{"spreadsheetId":"` + f.id + `","updatedCells":3,"updatedColumns":2,"updatedRange":"Sheet1!A1:B2","updatedRows":2},` +
		`{"spreadsheetId":"` + f.id + `","updatedCells":1,"updatedColumns":1,"updatedRange":"Other!C3","updatedRows":1}],` +
		`"spreadsheetId":"` + f.id + `","totalUpdatedCells":4,"totalUpdatedColumns":3,"totalUpdatedRows":3,"totalUpdatedSheets":2}`
	if got := jsonString(out); got != want {
		t.Errorf("batchUpdate = %s\nwant %s", got, want)
	}
	if got := jsonString(f.get("Sheet1!A1:B2", url.Values{"valueRenderOption": {"UNFORMATTED_VALUE"}}).body["values"]); got != `[[1,2],[3]]` {
		t.Errorf("values = %s", got)
	}

	// One bad range fails the whole request and writes nothing.
	res := f.call("POST", "/google/v4/spreadsheets/"+f.id+"/values:batchUpdate", f.tok, map[string]any{
		"valueInputOption": "RAW",
		"data":             []any{vr("Sheet1!A1", []any{"changed"}), vr("Nope!A1", []any{"x"})},
	})
	if res.status != http.StatusBadRequest || errorOf(t, res)["message"] != "Unable to parse range: Nope!A1" {
		t.Errorf("bad range: %d %s", res.status, res.raw)
	}
	// Too many rows for a bounded range.
	res = f.call("POST", "/google/v4/spreadsheets/"+f.id+"/values:batchUpdate", f.tok, map[string]any{
		"valueInputOption": "RAW",
		"data":             []any{vr("Sheet1!A1", []any{"changed"}), vr("Sheet1!D1:D2", []any{"1"}, []any{"2"}, []any{"3"})},
	})
	if msg, _ := errorOf(t, res)["message"].(string); res.status != http.StatusBadRequest || !strings.Contains(msg, "Requested writing within range [Sheet1!D1:D2], but tried writing to row [3]") {
		t.Errorf("overflow: %d %s", res.status, res.raw)
	}
	if got := f.get("Sheet1!A1", nil).body["values"]; jsonString(got) != `[["1"]]` {
		t.Errorf("A1 after failed batches = %s, want unchanged", jsonString(got))
	}
	if res := f.call("POST", "/google/v4/spreadsheets/"+f.id+"/values:batchUpdate", f.tok, map[string]any{"data": []any{}}); res.status != http.StatusBadRequest {
		t.Errorf("batchUpdate without valueInputOption: %d", res.status)
	}
}

// startOfMinute moves the simulated clock just past a minute boundary so a
// burst of requests falls in one fixed quota window.
func startOfMinute(s *simtest.Server) {
	now := s.Clock.Now()
	s.Clock.Advance(now.Truncate(time.Minute).Add(time.Minute + time.Second).Sub(now))
}

func TestSheetsQuota(t *testing.T) {
	t.Parallel()
	f := newSheets(t)
	startOfMinute(f.s)
	for i := range 60 {
		if res := f.get("Sheet1!A1", nil); res.status != http.StatusOK {
			t.Fatalf("read %d: %d %s", i+1, res.status, res.raw)
		}
	}
	res := f.get("Sheet1!A1", nil)
	e := errorOf(t, res)
	if res.status != http.StatusTooManyRequests || e["status"] != "RESOURCE_EXHAUSTED" ||
		!strings.HasPrefix(e["message"].(string), "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user'") {
		t.Fatalf("61st read: %d %s", res.status, res.raw)
	}
	// Writes have their own quota, and so does every other user.
	f.write("RAW", vr("Sheet1!A1", []any{"still writable"}))
	f.must(http.StatusOK, "POST", "/google/v4/spreadsheets", f.token("bob@example.com", sheetsScope), nil)
	// A minute later the quota is back.
	f.advance(time.Minute)
	if res := f.get("Sheet1!A1", nil); res.status != http.StatusOK {
		t.Errorf("after a minute: %d %s", res.status, res.raw)
	}
	if n := len(f.s.Requests(simFilter("rate_limited=read"))); n != 1 {
		t.Errorf("logged %d rate-limited reads, want 1", n)
	}
}

func TestSheetsQuotaOptionsAndSwitch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		simOpts   sim.Options
		perMinute int
		limited   bool
	}{
		{"tuned", sim.Options{}, 3, true},
		{"limits off", sim.Options{DisableRateLimits: true}, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := simtest.Start(t, tt.simOpts, google.New(google.Options{SheetsRequestsPerMinute: tt.perMinute}))
			b := &bundle{t: t, s: s}
			tok := b.token(google.DefaultUser)
			startOfMinute(s)
			id := b.must(http.StatusOK, "POST", "/google/v4/spreadsheets", tok, nil)["spreadsheetId"].(string)
			limited := false
			for range 5 {
				if res := b.call("GET", "/google/v4/spreadsheets/"+id, tok, nil); res.status == http.StatusTooManyRequests {
					limited = true
				}
			}
			if limited != tt.limited {
				t.Errorf("limited = %v, want %v", limited, tt.limited)
			}
		})
	}
}

func TestValuesUpdateAndClear(t *testing.T) {
	t.Parallel()
	f := newSheets(t)
	res := f.must(http.StatusOK, "PUT", f.valuesPath("Sheet1!B2", "", url.Values{"valueInputOption": {"RAW"}, "includeValuesInResponse": {"true"}}), f.tok,
		map[string]any{"majorDimension": "COLUMNS", "values": [][]any{{"a", "b"}, {"c"}}})
	if res["updatedRange"] != "Sheet1!B2:C3" || jsonString(res["updatedData"].(map[string]any)["values"]) != `[["a","c"],["b"]]` {
		t.Errorf("update = %s", jsonString(res))
	}
	cleared := f.must(http.StatusOK, "POST", f.valuesPath("Sheet1!B2:B3", ":clear", nil), f.tok, nil)
	if cleared["clearedRange"] != "Sheet1!B2:B3" {
		t.Errorf("clear = %v", cleared)
	}
	if got := jsonString(f.get("Sheet1", nil).body["values"]); got != `[[],["","","c"]]` {
		t.Errorf("after clear = %s", got)
	}
	if !reflect.DeepEqual(rows(f.get("Sheet1!A1:A3", nil).body["values"]), [][]any{}) {
		t.Errorf("column A should be empty")
	}
}
