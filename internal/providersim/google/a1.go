package google

import (
	"errors"
	"strconv"
	"strings"
)

// Limits of a Google Sheets grid: columns run to ZZZ, and a spreadsheet
// holds at most ten million cells, so no row number can exceed that.
const (
	maxColumns = 18278 // ZZZ
	maxRows    = 10_000_000
)

// errBadRange is every A1 parse failure; Sheets answers them all with the
// same "Unable to parse range" message, so there is nothing finer to say.
var errBadRange = errors.New("unable to parse range")

// open marks a range end that runs to the edge of the sheet's grid
// (the row end of "A2:C", the column end of "1:3").
const open = -1

// gridRange is a rectangle on one sheet: zero-based, ends exclusive, an
// end of open meaning "to the edge of the grid".
type gridRange struct {
	startRow, startCol int
	endRow, endCol     int
}

// a1Range is a parsed A1-notation range, not yet resolved against a
// spreadsheet: whether a bare word is a sheet name or a cell reference
// depends on the sheets the spreadsheet has.
type a1Range struct {
	// sheet is the unquoted, unescaped sheet name when one was written
	// ("Sheet1!A1", "'My Sheet'"); hasSheet says so.
	sheet    string
	hasSheet bool
	// bare is the whole text when it has no '!' and no quotes: "Sheet1"
	// and "A1:B2" look alike until the sheets are known.
	bare string
	// cells is the cell part, nil for a whole sheet.
	cells *gridRange
}

// parseA1 parses A1 notation as the Sheets API accepts it:
//
//	Sheet1!A1:C10   'My Sheet'!A:B   'It''s'!A1   A1:B2   Sheet1   A2:C   1:3
//
// Quoted sheet names escape a quote by doubling it. Column letters and row
// numbers may carry '$' markers and columns are case-insensitive.
func parseA1(s string) (a1Range, error) {
	if s == "" {
		return a1Range{}, errBadRange
	}
	if s[0] == '\'' {
		name, rest, ok := cutQuoted(s)
		if !ok || name == "" {
			return a1Range{}, errBadRange
		}
		if rest == "" {
			return a1Range{sheet: name, hasSheet: true}, nil
		}
		if rest[0] != '!' {
			return a1Range{}, errBadRange
		}
		g, ok := parseCells(rest[1:])
		if !ok {
			return a1Range{}, errBadRange
		}
		return a1Range{sheet: name, hasSheet: true, cells: &g}, nil
	}
	if name, cells, found := strings.Cut(s, "!"); found {
		if name == "" || strings.ContainsRune(name, '\'') {
			return a1Range{}, errBadRange
		}
		g, ok := parseCells(cells)
		if !ok {
			return a1Range{}, errBadRange
		}
		return a1Range{sheet: name, hasSheet: true, cells: &g}, nil
	}
	r := a1Range{bare: s}
	if g, ok := parseCells(s); ok {
		r.cells = &g
	}
	return r, nil
}

// cutQuoted reads a quoted sheet name from the start of s, undoubling
// escaped quotes, and returns what follows the closing quote.
func cutQuoted(s string) (name, rest string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), s[i+1:], true
	}
	return "", "", false
}

// endpoint is one side of a cell range; -1 marks a part not written.
type endpoint struct{ col, row int }

// parseCells parses the part after '!': a cell, or two endpoints joined
// by ':' where either may lack its row (a column span) or its column (a
// row span).
func parseCells(s string) (gridRange, bool) {
	a, b, isSpan := strings.Cut(s, ":")
	start, ok := parseEndpoint(a)
	if !ok {
		return gridRange{}, false
	}
	if !isSpan {
		// A lone endpoint must name one cell: "A" or "3" alone is not a range.
		if start.col < 0 || start.row < 0 {
			return gridRange{}, false
		}
		return gridRange{start.row, start.col, start.row + 1, start.col + 1}, true
	}
	end, ok := parseEndpoint(b)
	if !ok {
		return gridRange{}, false
	}
	g := gridRange{startRow: max(start.row, 0), startCol: max(start.col, 0), endRow: open, endCol: open}
	if end.row >= 0 {
		g.endRow = end.row + 1
		if start.row > end.row { // "A5:B2" means A2:B5
			g.startRow, g.endRow = end.row, start.row+1
		}
	}
	if end.col >= 0 {
		g.endCol = end.col + 1
		if start.col > end.col {
			g.startCol, g.endCol = end.col, start.col+1
		}
	}
	return g, true
}

// parseEndpoint parses "$A$1", "B7", "C" or "12": optional column letters
// (at most three) and an optional row number, at least one of them.
func parseEndpoint(s string) (endpoint, bool) {
	e := endpoint{col: -1, row: -1}
	i := 0
	if i < len(s) && s[i] == '$' && i+1 < len(s) && isLetter(s[i+1]) {
		i++
	}
	col, n := 0, 0
	for ; i < len(s) && isLetter(s[i]); i++ {
		n++
		if n > 3 {
			return e, false
		}
		col = col*26 + int(upper(s[i])-'A'+1)
	}
	if n > 0 {
		e.col = col - 1
	}
	if i < len(s) && s[i] == '$' && i+1 < len(s) && isDigit(s[i+1]) {
		i++
	}
	digits := s[i:]
	if digits != "" {
		if len(digits) > 8 || digits[0] == '0' {
			return e, false
		}
		row, err := strconv.Atoi(digits)
		if err != nil || row < 1 || row > maxRows {
			return e, false
		}
		e.row = row - 1
	}
	return e, e.col >= 0 || e.row >= 0
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// columnName turns a zero-based column index into letters (0 → A, 26 → AA).
func columnName(c int) string {
	var buf [4]byte
	i := len(buf)
	for c++; c > 0; c = (c - 1) / 26 {
		i--
		buf[i] = byte('A' + (c-1)%26)
	}
	return string(buf[i:])
}

// quoteSheet writes a sheet name the way Sheets does in the ranges it
// returns: bare when it is a plain identifier that cannot be mistaken for
// a cell, quoted (with quotes doubled) otherwise.
func quoteSheet(name string) string {
	if plainSheetName(name) {
		return name
	}
	return "'" + strings.ReplaceAll(name, "'", "''") + "'"
}

func plainSheetName(name string) bool {
	if name == "" || isDigit(name[0]) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isLetter(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	// "A1" or "AB12" would read back as a cell reference.
	if e, ok := parseEndpoint(name); ok && e.col >= 0 && e.row >= 0 {
		return false
	}
	return !looksR1C1(name)
}

// looksR1C1 reports names like "R1C1" or "rc", which Sheets also quotes.
func looksR1C1(name string) bool {
	s := strings.ToUpper(name)
	if !strings.HasPrefix(s, "R") {
		return false
	}
	rowPart, colPart, ok := strings.Cut(s[1:], "C")
	return ok && allDigits(rowPart) && allDigits(colPart)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// formatCells writes a grid range in A1 notation; open ends are left off
// ("A2:C", "1:3"), a single cell is written alone.
func formatCells(g gridRange) string {
	if g.endRow == g.startRow+1 && g.endCol == g.startCol+1 {
		return columnName(g.startCol) + strconv.Itoa(g.startRow+1)
	}
	var b strings.Builder
	switch {
	case g.endCol == open && g.startCol == 0 && g.endRow != open:
		// A row span: "2:5".
		b.WriteString(strconv.Itoa(g.startRow + 1))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(g.endRow))
		return b.String()
	case g.endRow == open && g.startRow == 0:
		// A column span: "A:C".
		b.WriteString(columnName(g.startCol))
	default:
		b.WriteString(columnName(g.startCol))
		b.WriteString(strconv.Itoa(g.startRow + 1))
	}
	b.WriteByte(':')
	if g.endCol != open {
		b.WriteString(columnName(g.endCol - 1))
	}
	if g.endRow != open {
		b.WriteString(strconv.Itoa(g.endRow))
	}
	return b.String()
}

// formatRange is sheet!cells as Sheets returns it.
func formatRange(sheet string, g gridRange) string {
	return quoteSheet(sheet) + "!" + formatCells(g)
}
