package google

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// readOptions are the values API's rendering parameters.
type readOptions struct {
	columns bool
	render  string
}

func parseReadOptions(major, render string) (readOptions, string) {
	var o readOptions
	switch major {
	case "", "ROWS", "DIMENSION_UNSPECIFIED":
	case "COLUMNS":
		o.columns = true
	default:
		return o, fmt.Sprintf("Invalid value at 'major_dimension' (type.googleapis.com/google.apps.sheets.v4.Dimension), %q", major)
	}
	switch render {
	case "":
		o.render = renderFormatted
	case renderFormatted, renderUnformatted, renderFormula:
		o.render = render
	default:
		return o, fmt.Sprintf("Invalid value at 'value_render_option' (type.googleapis.com/google.apps.sheets.v4.ValueRenderOption), %q", render)
	}
	return o, ""
}

func (o readOptions) dimension() string {
	if o.columns {
		return "COLUMNS"
	}
	return "ROWS"
}

// valueRange reads one range for values.get and batchGet; on failure it
// returns the error message for a 400.
func (sp *spreadsheet) valueRange(text string, o readOptions) (map[string]any, string) {
	sh, g, err := sp.resolve(text)
	if err != nil {
		return nil, "Unable to parse range: " + text
	}
	g, err = sh.closeRange(g)
	if err != nil {
		return nil, err.Error()
	}
	out := map[string]any{"range": formatRange(sh.title, g), "majorDimension": o.dimension()}
	if values := sh.read(g, o.columns, o.render); len(values) > 0 {
		out["values"] = values
	}
	return out, ""
}

func (p *Provider) getValues(w http.ResponseWriter, r *http.Request) {
	if _, ranges, ok := p.readRanges(w, r, []string{r.PathValue("range")}); ok {
		sim.WriteJSON(w, http.StatusOK, ranges[0])
	}
}

func (p *Provider) batchGetValues(w http.ResponseWriter, r *http.Request) {
	if id, ranges, ok := p.readRanges(w, r, r.URL.Query()["ranges"]); ok {
		sim.WriteJSON(w, http.StatusOK, map[string]any{"spreadsheetId": id, "valueRanges": ranges})
	}
}

// readRanges is what values.get and values.batchGet share: it checks the
// call and its read options, then renders each range of the caller's
// spreadsheet. It answers errors itself and reports whether to go on.
func (p *Provider) readRanges(w http.ResponseWriter, r *http.Request, texts []string) (id string, ranges []any, ok bool) {
	g, ok := p.sheetsCall(w, r, false)
	if !ok {
		return "", nil, false
	}
	q := r.URL.Query()
	o, msg := parseReadOptions(q.Get("majorDimension"), q.Get("valueRenderOption"))
	if msg != "" {
		sheetsError(w, http.StatusBadRequest, msg)
		return "", nil, false
	}
	p.sheetsMu.Lock()
	defer p.sheetsMu.Unlock()
	sp, ok := p.lookup(w, r.PathValue("id"), g.Subject)
	if !ok {
		return "", nil, false
	}
	ranges = []any{}
	for _, text := range texts {
		vr, msg := sp.valueRange(text, o)
		if msg != "" {
			sheetsError(w, http.StatusBadRequest, msg)
			return "", nil, false
		}
		ranges = append(ranges, vr)
	}
	return sp.id, ranges, true
}

// valueInput reads valueInputOption, which every write requires.
func valueInput(option string) (userEntered bool, msg string) {
	switch option {
	case "RAW":
		return false, ""
	case "USER_ENTERED":
		return true, ""
	case "", "INPUT_VALUE_OPTION_UNSPECIFIED":
		return false, "'valueInputOption' is required but not specified"
	}
	return false, fmt.Sprintf("Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), %q", option)
}

// valuesBody is a ValueRange in a write request.
type valuesBody struct {
	Range          string  `json:"range"`
	MajorDimension string  `json:"majorDimension"`
	Values         [][]any `json:"values"`
}

// inputs converts a ValueRange's values to row-major inputs.
func (b valuesBody) inputs(userEntered bool) ([][]input, string) {
	switch b.MajorDimension {
	case "", "ROWS", "COLUMNS", "DIMENSION_UNSPECIFIED":
	default:
		return nil, fmt.Sprintf("Invalid value at 'data.major_dimension' (type.googleapis.com/google.apps.sheets.v4.Dimension), %q", b.MajorDimension)
	}
	out := make([][]input, len(b.Values))
	for i, row := range b.Values {
		out[i] = make([]input, len(row))
		for j, v := range row {
			in, err := toInput(v, userEntered)
			if err != nil {
				return nil, fmt.Sprintf("Invalid values[%d][%d]: %v", i, j, err)
			}
			out[i][j] = in
		}
	}
	if b.MajorDimension == "COLUMNS" {
		out = transpose(out)
	}
	return out, ""
}

func transpose(cols [][]input) [][]input {
	height := 0
	for _, c := range cols {
		height = max(height, len(c))
	}
	rows := make([][]input, height)
	for i := range rows {
		rows[i] = make([]input, len(cols))
		for j, c := range cols {
			if i < len(c) {
				rows[i][j] = c[i]
			} else {
				rows[i][j] = input{skip: true}
			}
		}
	}
	return rows
}

// plannedWrite is one validated write, applied only once every write of
// the request has been validated: Sheets requests are atomic.
type plannedWrite struct {
	sh     *sheet
	at     gridRange // the cells written
	values [][]input
}

// planUpdate validates a values.update-style write of values into text.
func (sp *spreadsheet) planUpdate(text string, values [][]input) (plannedWrite, string) {
	sh, g, err := sp.resolve(text)
	if err != nil {
		return plannedWrite{}, "Unable to parse range: " + text
	}
	if g.endRow == g.startRow+1 && g.endCol == g.startCol+1 {
		// A single cell only anchors the write, whatever its size.
		g.endRow, g.endCol = open, open
	}
	ext := extent(g.startRow, g.startCol, values)
	requested := formatRange(sh.title, g)
	if g.endRow != open && len(values) > g.endRow-g.startRow {
		return plannedWrite{}, fmt.Sprintf("Requested writing within range [%s], but tried writing to row [%d]", requested, g.endRow+1)
	}
	if g.endCol != open && ext.endCol > g.endCol && len(values) > 0 {
		return plannedWrite{}, fmt.Sprintf("Requested writing within range [%s], but tried writing to column [%s]", requested, columnName(g.endCol))
	}
	if !sp.fits(sh, ext.endRow, ext.endCol) {
		return plannedWrite{}, errTooManyCells.Error()
	}
	if len(values) == 0 {
		// Nothing to write: Sheets reports the requested range back.
		ext = g
		if c, err := sh.closeRange(g); err == nil {
			ext = c
		}
	}
	return plannedWrite{sh: sh, at: ext, values: values}, ""
}

// updateResult is an UpdateValuesResponse.
type updateResult struct {
	SpreadsheetID  string         `json:"spreadsheetId"`
	UpdatedRange   string         `json:"updatedRange"`
	UpdatedRows    int            `json:"updatedRows,omitempty"`
	UpdatedColumns int            `json:"updatedColumns,omitempty"`
	UpdatedCells   int            `json:"updatedCells,omitempty"`
	UpdatedData    map[string]any `json:"updatedData,omitempty"`
}

// apply performs a planned write and describes it.
func (pw plannedWrite) apply(sp *spreadsheet, withData bool, render string) updateResult {
	st := pw.sh.write(pw.at.startRow, pw.at.startCol, pw.values)
	res := updateResult{
		SpreadsheetID:  sp.id,
		UpdatedRange:   formatRange(pw.sh.title, pw.at),
		UpdatedRows:    st.rows,
		UpdatedColumns: st.cols,
		UpdatedCells:   st.cells,
	}
	if withData {
		o, _ := parseReadOptions("", render)
		res.UpdatedData = map[string]any{"range": res.UpdatedRange, "majorDimension": "ROWS"}
		if v := pw.sh.read(pw.at, false, o.render); len(v) > 0 {
			res.UpdatedData["values"] = v
		}
	}
	return res
}

func (p *Provider) updateValues(w http.ResponseWriter, r *http.Request) {
	g, ok := p.sheetsCall(w, r, true)
	if !ok {
		return
	}
	q := r.URL.Query()
	userEntered, msg := valueInput(q.Get("valueInputOption"))
	if msg != "" {
		sheetsError(w, http.StatusBadRequest, msg)
		return
	}
	var body valuesBody
	if !readBody(w, r, sheetsStyle, &body) {
		return
	}
	values, msg := body.inputs(userEntered)
	if msg != "" {
		sheetsError(w, http.StatusBadRequest, msg)
		return
	}
	p.sheetsMu.Lock()
	defer p.sheetsMu.Unlock()
	sp, ok := p.lookup(w, r.PathValue("id"), g.Subject)
	if !ok {
		return
	}
	pw, msg := sp.planUpdate(r.PathValue("range"), values)
	if msg != "" {
		sheetsError(w, http.StatusBadRequest, msg)
		return
	}
	sim.WriteJSON(w, http.StatusOK, pw.apply(sp, q.Get("includeValuesInResponse") == "true", q.Get("responseValueRenderOption")))
}

// rangeMethod serves POST {range}:append and {range}:clear.
func (p *Provider) rangeMethod(w http.ResponseWriter, r *http.Request) {
	full := r.PathValue("range")
	i := strings.LastIndexByte(full, ':')
	if i < 0 {
		sheetsError(w, http.StatusNotFound, "Requested entity was not found.")
		return
	}
	text, method := full[:i], full[i+1:]
	switch method {
	case "append":
		p.appendValues(w, r, text)
	case "clear":
		p.clearValues(w, r, text)
	default:
		sheetsError(w, http.StatusNotFound, "Requested entity was not found.")
	}
}

// appendValues finds the table in the range and writes after its last
// row, from its first column. OVERWRITE writes over whatever lies below;
// INSERT_ROWS first inserts rows for the new data, pushing it down.
func (p *Provider) appendValues(w http.ResponseWriter, r *http.Request, text string) {
	g, ok := p.sheetsCall(w, r, true)
	if !ok {
		return
	}
	q := r.URL.Query()
	userEntered, msg := valueInput(q.Get("valueInputOption"))
	if msg != "" {
		sheetsError(w, http.StatusBadRequest, msg)
		return
	}
	insert := false
	switch opt := q.Get("insertDataOption"); opt {
	case "", "OVERWRITE":
	case "INSERT_ROWS":
		insert = true
	default:
		sheetsError(w, http.StatusBadRequest, fmt.Sprintf("Invalid value at 'insert_data_option' (type.googleapis.com/google.apps.sheets.v4.InsertDataOption), %q", opt))
		return
	}
	var body valuesBody
	if !readBody(w, r, sheetsStyle, &body) {
		return
	}
	values, msg := body.inputs(userEntered)
	if msg != "" {
		sheetsError(w, http.StatusBadRequest, msg)
		return
	}
	p.sheetsMu.Lock()
	defer p.sheetsMu.Unlock()
	sp, ok := p.lookup(w, r.PathValue("id"), g.Subject)
	if !ok {
		return
	}
	sh, rg, err := sp.resolve(text)
	if err != nil {
		badRange(w, text)
		return
	}
	table, found := sh.findTable(rg)
	start := gridRange{startRow: rg.startRow, startCol: rg.startCol}
	if found {
		start = gridRange{startRow: table.endRow, startCol: table.startCol}
	}
	ext := extent(start.startRow, start.startCol, values)
	growRows := ext.endRow
	if insert {
		growRows = max(sh.rowCount, start.startRow) + len(values)
	}
	if !sp.fits(sh, growRows, ext.endCol) {
		sheetsError(w, http.StatusBadRequest, errTooManyCells.Error())
		return
	}
	if insert && len(values) > 0 {
		sh.insertRows(start.startRow, len(values))
	}
	res := plannedWrite{sh: sh, at: ext, values: values}.apply(sp, q.Get("includeValuesInResponse") == "true", q.Get("responseValueRenderOption"))
	out := map[string]any{"spreadsheetId": sp.id, "updates": res}
	if found {
		out["tableRange"] = formatRange(sh.title, table)
	}
	sim.Annotate(r, "sheets_append", strconv.Itoa(res.UpdatedRows))
	sim.WriteJSON(w, http.StatusOK, out)
}

// clearValues empties a range, keeping the grid.
func (p *Provider) clearValues(w http.ResponseWriter, r *http.Request, text string) {
	g, ok := p.sheetsCall(w, r, true)
	if !ok {
		return
	}
	p.sheetsMu.Lock()
	defer p.sheetsMu.Unlock()
	sp, ok := p.lookup(w, r.PathValue("id"), g.Subject)
	if !ok {
		return
	}
	sh, rg, err := sp.resolve(text)
	if err != nil {
		badRange(w, text)
		return
	}
	rg, err = sh.closeRange(rg)
	if err != nil {
		sheetsError(w, http.StatusBadRequest, err.Error())
		return
	}
	for row := rg.startRow; row < min(rg.endRow, len(sh.rows)); row++ {
		for c := rg.startCol; c < min(rg.endCol, len(sh.rows[row])); c++ {
			sh.rows[row][c] = cell{}
		}
	}
	sim.WriteJSON(w, http.StatusOK, map[string]any{"spreadsheetId": sp.id, "clearedRange": formatRange(sh.title, rg)})
}

// batchUpdateValues writes several ranges atomically: every range is
// validated before any is written.
func (p *Provider) batchUpdateValues(w http.ResponseWriter, r *http.Request) {
	g, ok := p.sheetsCall(w, r, true)
	if !ok {
		return
	}
	var body struct {
		ValueInputOption          string       `json:"valueInputOption"`
		Data                      []valuesBody `json:"data"`
		IncludeValuesInResponse   bool         `json:"includeValuesInResponse"`
		ResponseValueRenderOption string       `json:"responseValueRenderOption"`
	}
	if !readBody(w, r, sheetsStyle, &body) {
		return
	}
	userEntered, msg := valueInput(body.ValueInputOption)
	if msg != "" {
		sheetsError(w, http.StatusBadRequest, msg)
		return
	}
	p.sheetsMu.Lock()
	defer p.sheetsMu.Unlock()
	sp, ok := p.lookup(w, r.PathValue("id"), g.Subject)
	if !ok {
		return
	}
	plans := make([]plannedWrite, 0, len(body.Data))
	for i, d := range body.Data {
		values, msg := d.inputs(userEntered)
		if msg == "" {
			var pw plannedWrite
			if pw, msg = sp.planUpdate(d.Range, values); msg == "" {
				plans = append(plans, pw)
				continue
			}
		}
		if !strings.HasPrefix(msg, "Unable to parse range") {
			msg = fmt.Sprintf("Invalid data[%d]: %s", i, msg)
		}
		sheetsError(w, http.StatusBadRequest, msg)
		return
	}
	out := struct {
		SpreadsheetID       string         `json:"spreadsheetId"`
		TotalUpdatedRows    int            `json:"totalUpdatedRows,omitempty"`
		TotalUpdatedColumns int            `json:"totalUpdatedColumns,omitempty"`
		TotalUpdatedCells   int            `json:"totalUpdatedCells,omitempty"`
		TotalUpdatedSheets  int            `json:"totalUpdatedSheets,omitempty"`
		Responses           []updateResult `json:"responses,omitempty"`
	}{SpreadsheetID: sp.id}
	sheetsTouched := map[*sheet]bool{}
	for _, pw := range plans {
		res := pw.apply(sp, body.IncludeValuesInResponse, body.ResponseValueRenderOption)
		out.Responses = append(out.Responses, res)
		out.TotalUpdatedRows += res.UpdatedRows
		out.TotalUpdatedColumns += res.UpdatedColumns
		out.TotalUpdatedCells += res.UpdatedCells
		if res.UpdatedCells > 0 {
			sheetsTouched[pw.sh] = true
		}
	}
	out.TotalUpdatedSheets = len(sheetsTouched)
	sim.WriteJSON(w, http.StatusOK, out)
}
