package google

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// kind is what a cell holds.
type kind uint8

const (
	kindEmpty kind = iota
	kindString
	kindNumber
	kindBool
	kindFormula
)

// cell is one stored value. Numbers keep the text Sheets would display
// for them (the formatted value), because USER_ENTERED input like "1,234"
// or "12%" keeps its format.
type cell struct {
	kind kind
	text string // string value, formula, or a number's formatted value
	num  float64
	b    bool
}

func (c cell) empty() bool { return c.kind == kindEmpty }

// Value render options of the values API.
const (
	renderFormatted   = "FORMATTED_VALUE"
	renderUnformatted = "UNFORMATTED_VALUE"
	renderFormula     = "FORMULA"
)

// render is the cell as the values API returns it. Formulas are not
// evaluated: every render option shows the formula text.
func (c cell) render(option string) any {
	switch c.kind {
	case kindString, kindFormula:
		return c.text
	case kindNumber:
		if option == renderFormatted {
			return c.text
		}
		return c.num
	case kindBool:
		if option == renderFormatted {
			if c.b {
				return "TRUE"
			}
			return "FALSE"
		}
		return c.b
	}
	return ""
}

func numberCell(n float64) cell {
	return cell{kind: kindNumber, num: n, text: strconv.FormatFloat(n, 'f', -1, 64)}
}

// input is one value of a write: skip (JSON null) leaves the cell as it
// is, as Sheets does.
type input struct {
	c    cell
	skip bool
}

// toInput converts a decoded JSON value. RAW stores strings as they are;
// USER_ENTERED parses them as if typed into the UI. JSON numbers and
// booleans are stored as such under either option.
func toInput(v any, userEntered bool) (input, error) {
	switch v := v.(type) {
	case nil:
		return input{skip: true}, nil
	case bool:
		return input{c: cell{kind: kindBool, b: v}}, nil
	case float64:
		return input{c: numberCell(v)}, nil
	case string:
		if v == "" {
			return input{}, nil // an empty string clears the cell
		}
		if !userEntered {
			return input{c: cell{kind: kindString, text: v}}, nil
		}
		return input{c: parseUserEntered(v)}, nil
	}
	return input{}, fmt.Errorf("%T is not a cell value", v)
}

// parseUserEntered interprets text the way the Sheets UI does for the
// cases integrations meet: a leading apostrophe forces text, "=" starts a
// formula, TRUE/FALSE are booleans, and numbers may carry thousands
// separators or a percent sign.
func parseUserEntered(s string) cell {
	switch {
	case strings.HasPrefix(s, "'"):
		return cell{kind: kindString, text: s[1:]}
	case len(s) > 1 && s[0] == '=':
		return cell{kind: kindFormula, text: s}
	case strings.EqualFold(s, "true"):
		return cell{kind: kindBool, b: true}
	case strings.EqualFold(s, "false"):
		return cell{kind: kindBool, b: false}
	}
	t := strings.TrimSpace(s)
	if pct, ok := strings.CutSuffix(t, "%"); ok {
		if n, ok := parseDecimal(pct); ok {
			return cell{kind: kindNumber, num: n / 100, text: t}
		}
	}
	if n, ok := parseDecimal(t); ok {
		c := numberCell(n)
		if strings.Contains(t, ",") {
			c.text = t // the thousands format sticks, as in the UI
		}
		return c
	}
	return cell{kind: kindString, text: s}
}

// parseDecimal accepts [+-]digits[.digits][e[+-]digits], with optional
// comma thousands separators in groups of three. It refuses what
// strconv would also take but Sheets would not (Inf, NaN, hex, "_").
func parseDecimal(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" {
		return 0, false
	}
	intPart, rest := body, ""
	if i := strings.IndexAny(body, ".eE"); i >= 0 {
		intPart, rest = body[:i], body[i:]
	}
	if strings.Contains(intPart, ",") {
		groups := strings.Split(intPart, ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return 0, false
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, false
			}
		}
		intPart = strings.Join(groups, "")
	}
	if !allDigits(intPart) {
		return 0, false
	}
	if frac, ok := strings.CutPrefix(rest, "."); ok {
		digits := strings.IndexAny(frac, "eE")
		if digits < 0 {
			digits = len(frac)
		}
		if !allDigits(frac[:digits]) {
			return 0, false
		}
		rest = frac[digits:]
		if intPart == "" && digits == 0 {
			return 0, false
		}
	} else if intPart == "" {
		return 0, false
	}
	if rest != "" {
		exp := strings.TrimLeft(rest[1:], "+-")
		if len(rest[1:])-len(exp) > 1 || exp == "" || !allDigits(exp) {
			return 0, false
		}
	}
	n, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, false
	}
	return n, true
}

// sheet is one tab: its properties and its cells, stored row by row with
// each row only as long as its last written cell.
type sheet struct {
	id       int64
	title    string
	index    int
	rowCount int
	colCount int
	rows     [][]cell
}

func (sh *sheet) get(r, c int) cell {
	if r < len(sh.rows) && c < len(sh.rows[r]) {
		return sh.rows[r][c]
	}
	return cell{}
}

func (sh *sheet) set(r, c int, v cell) {
	if v.empty() && (r >= len(sh.rows) || c >= len(sh.rows[r])) {
		return
	}
	for len(sh.rows) <= r {
		sh.rows = append(sh.rows, nil)
	}
	row := sh.rows[r]
	for len(row) <= c {
		row = append(row, cell{})
	}
	row[c] = v
	sh.rows[r] = row
}

// rowHasData reports whether row r has a value in a column at or after c.
func (sh *sheet) rowHasData(r, c int) bool {
	if r < 0 || r >= len(sh.rows) {
		return false
	}
	for i := c; i < len(sh.rows[r]); i++ {
		if !sh.rows[r][i].empty() {
			return true
		}
	}
	return false
}

// insertRows inserts n empty rows before row at, growing the grid.
func (sh *sheet) insertRows(at, n int) {
	sh.rowCount += n
	if at >= len(sh.rows) {
		return
	}
	sh.rows = append(sh.rows[:at], append(make([][]cell, n), sh.rows[at:]...)...)
}

// grow makes the grid at least rows × cols, as writes past its edge do.
func (sh *sheet) grow(rows, cols int) {
	sh.rowCount = max(sh.rowCount, rows)
	sh.colCount = max(sh.colCount, cols)
}

// spreadsheet is one spreadsheet; owner is the only user who may use it.
type spreadsheet struct {
	id       string
	title    string
	locale   string
	timeZone string
	owner    string
	sheets   []*sheet
}

// sheetNamed finds a sheet by title: exactly, else ignoring case, as
// Sheets resolves ranges.
func (sp *spreadsheet) sheetNamed(name string) *sheet {
	for _, sh := range sp.sheets {
		if sh.title == name {
			return sh
		}
	}
	for _, sh := range sp.sheets {
		if strings.EqualFold(sh.title, name) {
			return sh
		}
	}
	return nil
}

// resolve turns A1 text into a sheet and a range on it. A bare word names
// a sheet when one has that title and is a range on the first sheet
// otherwise; anything else that does not parse, or names a sheet that
// does not exist, fails.
func (sp *spreadsheet) resolve(text string) (*sheet, gridRange, error) {
	whole := gridRange{0, 0, open, open}
	a, err := parseA1(text)
	if err != nil {
		return nil, gridRange{}, err
	}
	if a.hasSheet {
		sh := sp.sheetNamed(a.sheet)
		if sh == nil {
			return nil, gridRange{}, errBadRange
		}
		if a.cells == nil {
			return sh, whole, nil
		}
		return sh, *a.cells, nil
	}
	if sh := sp.sheetNamed(a.bare); sh != nil {
		return sh, whole, nil
	}
	if a.cells == nil || len(sp.sheets) == 0 {
		return nil, gridRange{}, errBadRange
	}
	return sp.sheets[0], *a.cells, nil
}

// gridError is a range that runs past the sheet's grid.
type gridError struct {
	sheet      string
	g          gridRange
	rows, cols int
}

func (e *gridError) Error() string {
	return fmt.Sprintf("Range ('%s'!%s) exceeds grid limits. Max rows: %d, max columns: %d",
		strings.ReplaceAll(e.sheet, "'", "''"), formatCells(e.g), e.rows, e.cols)
}

// closeRange fixes a read range's open ends at the grid's edge and checks
// it lies within the grid.
func (sh *sheet) closeRange(g gridRange) (gridRange, error) {
	if g.endRow == open {
		g.endRow = max(sh.rowCount, g.startRow+1)
	}
	if g.endCol == open {
		g.endCol = max(sh.colCount, g.startCol+1)
	}
	if g.endRow > sh.rowCount || g.endCol > sh.colCount {
		return g, &gridError{sheet: sh.title, g: g, rows: sh.rowCount, cols: sh.colCount}
	}
	return g, nil
}

// read returns the values in g (closed) the way Sheets does: trailing
// empty cells of each row and trailing empty rows are left out, empty
// rows in between are [], and leading empty cells are "". With columns
// true the same applies to columns.
func (sh *sheet) read(g gridRange, columns bool, option string) [][]any {
	// Only stored data can hold values; clip to it rather than walk the grid.
	endRow := min(g.endRow, len(sh.rows))
	endCol := min(g.endCol, maxColumnInUse(sh))
	var lines [][]any
	if columns {
		for c := g.startCol; c < endCol; c++ {
			lines = append(lines, trimmedLine(endRow-g.startRow, option, func(j int) cell { return sh.get(g.startRow+j, c) }))
		}
	} else {
		for r := g.startRow; r < endRow; r++ {
			lines = append(lines, trimmedLine(endCol-g.startCol, option, func(j int) cell { return sh.get(r, g.startCol+j) }))
		}
	}
	for len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// trimmedLine renders n cells, leaving out the trailing empty ones.
func trimmedLine(n int, option string, at func(int) cell) []any {
	last := -1
	for j := 0; j < n; j++ {
		if !at(j).empty() {
			last = j
		}
	}
	line := make([]any, last+1)
	for j := range line {
		line[j] = at(j).render(option)
	}
	return line
}

// maxColumnInUse is one past the last column holding a value.
func maxColumnInUse(sh *sheet) int {
	n := 0
	for _, row := range sh.rows {
		for c := len(row) - 1; c >= n; c-- {
			if !row[c].empty() {
				n = c + 1
				break
			}
		}
	}
	return n
}

// writeStats counts what a write changed, for the update responses.
type writeStats struct {
	rows, cols, cells int
}

// write stores values with their first cell at (r0, c0), growing the grid
// to fit, and counts the rows, columns and cells actually written.
func (sh *sheet) write(r0, c0 int, values [][]input) writeStats {
	var st writeStats
	cols := map[int]bool{}
	width := 0
	for i, row := range values {
		wrote := false
		for j, in := range row {
			if in.skip {
				continue
			}
			sh.set(r0+i, c0+j, in.c)
			st.cells++
			cols[j] = true
			wrote = true
		}
		if wrote {
			st.rows++
		}
		width = max(width, len(row))
	}
	st.cols = len(cols)
	sh.grow(r0+len(values), c0+width)
	return st
}

// extent is the rectangle values occupy when written at (r0, c0).
func extent(r0, c0 int, values [][]input) gridRange {
	width := 0
	for _, row := range values {
		width = max(width, len(row))
	}
	return gridRange{r0, c0, r0 + max(len(values), 1), c0 + max(width, 1)}
}

// findTable locates the table an append extends: the first run of
// consecutive non-empty rows starting inside g (looking at columns from
// g's first on), spanning the columns its rows use. It may run below g,
// so "Sheet1!A1" finds a whole table that starts at A1. ok is false on
// an empty range.
func (sh *sheet) findTable(g gridRange) (table gridRange, ok bool) {
	end := len(sh.rows)
	if g.endRow != open {
		end = min(end, g.endRow)
	}
	first := -1
	for r := g.startRow; r < end; r++ {
		if sh.rowHasData(r, g.startCol) {
			first = r
			break
		}
	}
	if first < 0 {
		return gridRange{}, false
	}
	last := first
	for sh.rowHasData(last+1, g.startCol) {
		last++
	}
	minCol, maxCol := math.MaxInt, -1
	for r := first; r <= last; r++ {
		for c := g.startCol; c < len(sh.rows[r]); c++ {
			if !sh.rows[r][c].empty() {
				minCol, maxCol = min(minCol, c), max(maxCol, c)
			}
		}
	}
	return gridRange{first, minCol, last + 1, maxCol + 1}, true
}
