package google

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/patchbay/patchbay/internal/providersim/sim"
)

// Default grid of a new sheet, as in the Sheets UI.
const (
	defaultRows = 1000
	defaultCols = 26
	maxCells    = 10_000_000
)

func (p *Provider) mountSheets(mux *http.ServeMux) {
	mux.HandleFunc("POST /google/v4/spreadsheets", p.createSpreadsheet)
	mux.HandleFunc("GET /google/v4/spreadsheets/{id}", p.getSpreadsheet)
	// "{id}:batchUpdate": a wildcard cannot carry a literal suffix, so the
	// handler splits the method off itself.
	mux.HandleFunc("POST /google/v4/spreadsheets/{id}", p.spreadsheetMethod)
	mux.HandleFunc("GET /google/v4/spreadsheets/{id}/values/{range...}", p.getValues)
	mux.HandleFunc("PUT /google/v4/spreadsheets/{id}/values/{range...}", p.updateValues)
	// "{range}:append" and "{range}:clear", split the same way.
	mux.HandleFunc("POST /google/v4/spreadsheets/{id}/values/{range...}", p.rangeMethod)
	mux.HandleFunc("GET /google/v4/spreadsheets/{id}/values:batchGet", p.batchGetValues)
	mux.HandleFunc("POST /google/v4/spreadsheets/{id}/values:batchUpdate", p.batchUpdateValues)
}

// sheetsCall authenticates a Sheets request and counts it against the
// user's per-minute read or write quota.
func (p *Provider) sheetsCall(w http.ResponseWriter, r *http.Request, write bool) (*sim.Grant, bool) {
	scopes, kind, metric := sheetsReadScopes, "read", "Read requests"
	if write {
		scopes, kind, metric = sheetsWriteScopes, "write", "Write requests"
	}
	g, ok := p.authenticate(w, r, sheetsStyle, scopes)
	if !ok {
		return nil, false
	}
	if !p.s.RateLimited() {
		return g, true
	}
	if v := p.s.Limits.Take("google/sheets/"+kind+"/"+g.Subject, p.opts.SheetsRequestsPerMinute, time.Minute); !v.Allowed {
		sim.Annotate(r, "rate_limited", kind)
		project := strconv.FormatUint(sim.Hash("google/project", g.ClientID)%1_000_000_000_000, 10)
		writeAPIError(w, apiError{
			Code: http.StatusTooManyRequests,
			Message: fmt.Sprintf("Quota exceeded for quota metric '%s' and limit '%s per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:%s'.",
				metric, metric, project),
			Status: "RESOURCE_EXHAUSTED",
			Details: []any{map[string]any{
				"@type":  "type.googleapis.com/google.rpc.ErrorInfo",
				"reason": "RATE_LIMIT_EXCEEDED",
				"domain": "googleapis.com",
				"metadata": map[string]string{
					"service":      "sheets.googleapis.com",
					"quota_limit":  strings.ReplaceAll(metric, " requests", "RequestsPerMinutePerUser"),
					"quota_metric": "sheets.googleapis.com/" + kind + "_requests",
					"consumer":     "projects/" + project,
				},
			}},
		})
		return nil, false
	}
	return g, true
}

func sheetsError(w http.ResponseWriter, code int, message string) {
	writeError(w, sheetsStyle, code, "", message)
}

func badRange(w http.ResponseWriter, text string) {
	sheetsError(w, http.StatusBadRequest, "Unable to parse range: "+text)
}

// lookup finds a spreadsheet the user may use; the caller holds sheetsMu.
// On failure it has answered 404 or 403.
func (p *Provider) lookup(w http.ResponseWriter, id, user string) (*spreadsheet, bool) {
	sp := p.spreadsheets[id]
	switch {
	case sp == nil:
		sheetsError(w, http.StatusNotFound, "Requested entity was not found.")
		return nil, false
	case sp.owner != user:
		sheetsError(w, http.StatusForbidden, "The caller does not have permission")
		return nil, false
	}
	return sp, true
}

type gridProps struct {
	RowCount    int `json:"rowCount"`
	ColumnCount int `json:"columnCount"`
}

type sheetProps struct {
	SheetID        *int64     `json:"sheetId"`
	Title          string     `json:"title"`
	Index          *int       `json:"index"`
	GridProperties *gridProps `json:"gridProperties"`
}

// readBody decodes a JSON request body; an empty body is an empty object.
// On failure it has answered 400.
func readBody(w http.ResponseWriter, r *http.Request, st style, v any) bool {
	if r.ContentLength == 0 {
		return true
	}
	if err := sim.ReadJSON(r, v); err != nil {
		writeError(w, st, http.StatusBadRequest, "parseError", "Invalid JSON payload received. "+err.Error())
		return false
	}
	return true
}

func (p *Provider) createSpreadsheet(w http.ResponseWriter, r *http.Request) {
	g, ok := p.sheetsCall(w, r, true)
	if !ok {
		return
	}
	var body struct {
		Properties struct {
			Title    string `json:"title"`
			Locale   string `json:"locale"`
			TimeZone string `json:"timeZone"`
		} `json:"properties"`
		Sheets []struct {
			Properties sheetProps `json:"properties"`
		} `json:"sheets"`
	}
	if !readBody(w, r, sheetsStyle, &body) {
		return
	}
	sp := &spreadsheet{
		title:    body.Properties.Title,
		locale:   body.Properties.Locale,
		timeZone: body.Properties.TimeZone,
		owner:    g.Subject,
	}
	if sp.title == "" {
		sp.title = "Untitled spreadsheet"
	}
	if sp.locale == "" {
		sp.locale = "en_US"
	}
	if sp.timeZone == "" {
		sp.timeZone = "Etc/GMT"
	}
	if len(body.Sheets) == 0 {
		body.Sheets = append(body.Sheets, struct {
			Properties sheetProps `json:"properties"`
		}{})
	}
	p.sheetsMu.Lock()
	defer p.sheetsMu.Unlock()
	for i, s := range body.Sheets {
		if _, err := sp.addSheet(s.Properties, i == 0, p.sheetsRand.Int64N(2_000_000_000)); err != nil {
			sheetsError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	sp.id = randomID(p.sheetsRand.Uint64, 44)
	p.spreadsheets[sp.id] = sp
	sim.WriteJSON(w, http.StatusOK, sp.json())
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// randomID draws an id of n characters from Google's URL-safe alphabet.
func randomID(next func() uint64, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[next()%uint64(len(idAlphabet))]
	}
	return string(b)
}

// addSheet adds a tab; the first tab of a new spreadsheet gets sheet id 0
// unless told otherwise, later ones a random id, as Sheets does.
func (sp *spreadsheet) addSheet(props sheetProps, first bool, randomSheetID int64) (*sheet, error) {
	sh := &sheet{title: props.Title, rowCount: defaultRows, colCount: defaultCols}
	switch {
	case props.SheetID != nil:
		sh.id = *props.SheetID
	case first:
		sh.id = 0
	default:
		sh.id = randomSheetID + 1
	}
	if sh.id < 0 {
		//lint:ignore ST1005 Google's own message, which the simulator reproduces
		return nil, fmt.Errorf("Invalid sheetId: %d", sh.id)
	}
	if sh.title == "" {
		for n := len(sp.sheets) + 1; ; n++ {
			if sh.title = "Sheet" + strconv.Itoa(n); sp.sheetNamed(sh.title) == nil {
				break
			}
		}
	}
	if gp := props.GridProperties; gp != nil {
		if gp.RowCount > 0 {
			sh.rowCount = gp.RowCount
		}
		if gp.ColumnCount > 0 {
			sh.colCount = gp.ColumnCount
		}
	}
	for _, other := range sp.sheets {
		if strings.EqualFold(other.title, sh.title) {
			//lint:ignore ST1005 Google's own message, which the simulator reproduces
			return nil, fmt.Errorf("A sheet with the name \"%s\" already exists. Please enter another name.", sh.title)
		}
		if other.id == sh.id {
			//lint:ignore ST1005 Google's own message, which the simulator reproduces
			return nil, fmt.Errorf("A sheet with the id %d already exists.", sh.id)
		}
	}
	if sh.colCount > maxColumns || sp.cells()+sh.rowCount*sh.colCount > maxCells {
		return nil, errTooManyCells
	}
	at := len(sp.sheets)
	if props.Index != nil && *props.Index >= 0 && *props.Index < at {
		at = *props.Index
	}
	sp.sheets = append(sp.sheets[:at], append([]*sheet{sh}, sp.sheets[at:]...)...)
	for i, s := range sp.sheets {
		s.index = i
	}
	return sh, nil
}

//lint:ignore ST1005 Google's own message, which the simulator reproduces
var errTooManyCells = errors.New("This action would increase the number of cells in the workbook above the limit of 10000000 cells.")

// cells is the spreadsheet's total grid size, which Sheets caps.
func (sp *spreadsheet) cells() int {
	n := 0
	for _, sh := range sp.sheets {
		n += sh.rowCount * sh.colCount
	}
	return n
}

// fits reports whether growing sh to rows × cols keeps the spreadsheet
// within the cell cap.
func (sp *spreadsheet) fits(sh *sheet, rows, cols int) bool {
	rows, cols = max(rows, sh.rowCount), max(cols, sh.colCount)
	return cols <= maxColumns && sp.cells()-sh.rowCount*sh.colCount+rows*cols <= maxCells
}

func (sp *spreadsheet) json() map[string]any {
	sheets := make([]any, len(sp.sheets))
	for i, sh := range sp.sheets {
		sheets[i] = map[string]any{"properties": sh.properties()}
	}
	return map[string]any{
		"spreadsheetId": sp.id,
		"properties": map[string]any{
			"title":      sp.title,
			"locale":     sp.locale,
			"autoRecalc": "ON_CHANGE",
			"timeZone":   sp.timeZone,
		},
		"sheets":         sheets,
		"spreadsheetUrl": "https://docs.google.com/spreadsheets/d/" + sp.id + "/edit",
	}
}

func (sh *sheet) properties() map[string]any {
	return map[string]any{
		"sheetId":        sh.id,
		"title":          sh.title,
		"index":          sh.index,
		"sheetType":      "GRID",
		"gridProperties": gridProps{RowCount: sh.rowCount, ColumnCount: sh.colCount},
	}
}

func (p *Provider) getSpreadsheet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if strings.Contains(id, ":") {
		sheetsError(w, http.StatusNotFound, "Requested entity was not found.")
		return
	}
	g, ok := p.sheetsCall(w, r, false)
	if !ok {
		return
	}
	p.sheetsMu.Lock()
	defer p.sheetsMu.Unlock()
	sp, ok := p.lookup(w, id, g.Subject)
	if !ok {
		return
	}
	sim.WriteJSON(w, http.StatusOK, sp.json())
}

// spreadsheetMethod serves POST {id}:batchUpdate with the structural
// requests integrations use most: addSheet and deleteSheet.
func (p *Provider) spreadsheetMethod(w http.ResponseWriter, r *http.Request) {
	id, method, _ := strings.Cut(r.PathValue("id"), ":")
	if method != "batchUpdate" {
		sheetsError(w, http.StatusNotFound, "Requested entity was not found.")
		return
	}
	g, ok := p.sheetsCall(w, r, true)
	if !ok {
		return
	}
	var body struct {
		Requests []struct {
			AddSheet *struct {
				Properties sheetProps `json:"properties"`
			} `json:"addSheet"`
			DeleteSheet *struct {
				SheetID int64 `json:"sheetId"`
			} `json:"deleteSheet"`
		} `json:"requests"`
	}
	if !readBody(w, r, sheetsStyle, &body) {
		return
	}
	p.sheetsMu.Lock()
	defer p.sheetsMu.Unlock()
	sp, ok := p.lookup(w, id, g.Subject)
	if !ok {
		return
	}
	// Requests apply atomically: work on a copy, keep it only if all pass.
	defer func() {
		for i, s := range sp.sheets {
			s.index = i
		}
	}()
	work := *sp
	work.sheets = append([]*sheet(nil), sp.sheets...)
	replies := make([]any, 0, len(body.Requests))
	for i, req := range body.Requests {
		switch {
		case req.AddSheet != nil:
			sh, err := work.addSheet(req.AddSheet.Properties, false, p.sheetsRand.Int64N(2_000_000_000))
			if err != nil {
				sheetsError(w, http.StatusBadRequest, fmt.Sprintf("Invalid requests[%d].addSheet: %s", i, err))
				return
			}
			replies = append(replies, map[string]any{"addSheet": map[string]any{"properties": sh.properties()}})
		case req.DeleteSheet != nil:
			if !work.deleteSheet(req.DeleteSheet.SheetID) {
				sheetsError(w, http.StatusBadRequest, fmt.Sprintf("Invalid requests[%d].deleteSheet: No grid with id: %d", i, req.DeleteSheet.SheetID))
				return
			}
			replies = append(replies, map[string]any{})
		default:
			sheetsError(w, http.StatusBadRequest, fmt.Sprintf("Invalid requests[%d]: the simulator supports addSheet and deleteSheet", i))
			return
		}
	}
	sp.sheets = work.sheets
	sim.WriteJSON(w, http.StatusOK, map[string]any{"spreadsheetId": sp.id, "replies": replies})
}

// deleteSheet removes a tab; the last one cannot go.
func (sp *spreadsheet) deleteSheet(id int64) bool {
	for i, sh := range sp.sheets {
		if sh.id == id && len(sp.sheets) > 1 {
			sp.sheets = append(sp.sheets[:i:i], sp.sheets[i+1:]...)
			return true
		}
	}
	return false
}
