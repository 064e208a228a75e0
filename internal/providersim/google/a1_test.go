package google

import (
	"errors"
	"testing"
)

func TestParseA1(t *testing.T) {
	t.Parallel()
	cells := func(r0, c0, r1, c1 int) *gridRange { return &gridRange{r0, c0, r1, c1} }
	tests := []struct {
		in       string
		sheet    string
		hasSheet bool
		bare     string
		cells    *gridRange
	}{
		{in: "Sheet1!A1:C10", sheet: "Sheet1", hasSheet: true, cells: cells(0, 0, 10, 3)},
		{in: "Sheet1!B7", sheet: "Sheet1", hasSheet: true, cells: cells(6, 1, 7, 2)},
		{in: "'My Sheet'!A:B", sheet: "My Sheet", hasSheet: true, cells: cells(0, 0, open, 2)},
		{in: "'It''s'!A1", sheet: "It's", hasSheet: true, cells: cells(0, 0, 1, 1)},
		{in: "'O''Brien''s!data'", sheet: "O'Brien's!data", hasSheet: true},
		{in: "'Q1 ''24'!A2:C", sheet: "Q1 '24", hasSheet: true, cells: cells(1, 0, open, 3)},
		{in: "A1:B2", bare: "A1:B2", cells: cells(0, 0, 2, 2)},
		{in: "Sheet1", bare: "Sheet1"},
		{in: "My Sheet", bare: "My Sheet"},
		{in: "A2:C", bare: "A2:C", cells: cells(1, 0, open, 3)},
		{in: "C3:E", bare: "C3:E", cells: cells(2, 2, open, 5)},
		{in: "2:5", bare: "2:5", cells: cells(1, 0, 5, open)},
		{in: "B5:A1", bare: "B5:A1", cells: cells(0, 0, 5, 2)},
		{in: "$A$1:$B$2", bare: "$A$1:$B$2", cells: cells(0, 0, 2, 2)},
		{in: "a1:b2", bare: "a1:b2", cells: cells(0, 0, 2, 2)},
		{in: "Data!ZZZ1", sheet: "Data", hasSheet: true, cells: cells(0, 18277, 1, 18278)},
		{in: "AAAA1", bare: "AAAA1"}, // four letters: a sheet name, never a cell
		{in: "A", bare: "A"},         // a lone column is no range, maybe a sheet
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := parseA1(tt.in)
			if err != nil {
				t.Fatalf("parseA1(%q): %v", tt.in, err)
			}
			if got.sheet != tt.sheet || got.hasSheet != tt.hasSheet || got.bare != tt.bare {
				t.Errorf("parseA1(%q) = sheet %q (%v) bare %q, want %q (%v) bare %q", tt.in, got.sheet, got.hasSheet, got.bare, tt.sheet, tt.hasSheet, tt.bare)
			}
			switch {
			case (got.cells == nil) != (tt.cells == nil):
				t.Errorf("parseA1(%q) cells = %v, want %v", tt.in, got.cells, tt.cells)
			case got.cells != nil && *got.cells != *tt.cells:
				t.Errorf("parseA1(%q) cells = %+v, want %+v", tt.in, *got.cells, *tt.cells)
			}
		})
	}
}

func TestParseA1Rejects(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"", "Sheet1!", "!A1", "'Unclosed!A1", "'My Sheet'A1", "''!A1", "''",
		"Sheet1!A1:B2:C3", "Sheet1!A0", "Sheet1!A01", "Sheet1!1A", "Sheet1!A", "Sheet1!7",
		"Sheet1!:", "Sheet1!A1:", "Sheet1!:B2", "Sheet1!AAAA1", "Sheet1!A99999999", "Sheet1!A-1",
		"Bad'Name!A1", "Sheet1!$", "Sheet1!A$", "Sheet1!$$A1", "Sheet1!A1 ",
	} {
		if got, err := parseA1(in); !errors.Is(err, errBadRange) {
			t.Errorf("parseA1(%q) = %+v, %v; want errBadRange", in, got, err)
		}
	}
}

func TestResolveRange(t *testing.T) {
	t.Parallel()
	sp := &spreadsheet{}
	for _, title := range []string{"Sheet1", "My Sheet", "It's", "A1"} {
		if _, err := sp.addSheet(sheetProps{Title: title}, len(sp.sheets) == 0, int64(len(sp.sheets))); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		in    string
		sheet string
		want  string // formatted after closing open ends on the 1000×26 grid
	}{
		{"A1:B2", "Sheet1", "Sheet1!A1:B2"},
		{"Sheet1", "Sheet1", "Sheet1!A1:Z1000"},
		{"sheet1!A2:C", "Sheet1", "Sheet1!A2:C1000"},
		{"My Sheet", "My Sheet", "'My Sheet'!A1:Z1000"},
		{"'My Sheet'!B:B", "My Sheet", "'My Sheet'!B1:B1000"},
		{"'It''s'!3:4", "It's", "'It''s'!A3:Z4"},
		{"A1", "A1", "'A1'!A1:Z1000"}, // a sheet named like a cell wins
		{"'A1'!C3", "A1", "'A1'!C3"},
	}
	for _, tt := range tests {
		sh, g, err := sp.resolve(tt.in)
		if err != nil {
			t.Errorf("resolve(%q): %v", tt.in, err)
			continue
		}
		g, err = sh.closeRange(g)
		if err != nil {
			t.Errorf("resolve(%q): %v", tt.in, err)
			continue
		}
		if sh.title != tt.sheet || formatRange(sh.title, g) != tt.want {
			t.Errorf("resolve(%q) = %s %s, want %s %s", tt.in, sh.title, formatRange(sh.title, g), tt.sheet, tt.want)
		}
	}
	for _, in := range []string{"Nope!A1", "'Nope'", "Nope", "Sheet1!A1:B2:C3"} {
		if _, _, err := sp.resolve(in); !errors.Is(err, errBadRange) {
			t.Errorf("resolve(%q) = %v, want errBadRange", in, err)
		}
	}
}

func TestQuoteSheet(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Sheet1": "Sheet1", "data_2024": "data_2024", "My Sheet": "'My Sheet'", "It's": "'It''s'",
		"A1": "'A1'", "R1C1": "'R1C1'", "rc": "'rc'", "2024": "'2024'", "Ünïcode": "'Ünïcode'",
	} {
		if got := quoteSheet(in); got != want {
			t.Errorf("quoteSheet(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestColumnName(t *testing.T) {
	t.Parallel()
	for c, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA", 18277: "ZZZ"} {
		if got := columnName(c); got != want {
			t.Errorf("columnName(%d) = %q, want %q", c, got, want)
		}
		if e, ok := parseEndpoint(want); !ok || e.col != c {
			t.Errorf("parseEndpoint(%q) = %+v, %v; want column %d", want, e, ok, c)
		}
	}
}

// FuzzParseA1 checks that no input panics the parser and that whatever
// parses survives formatting and parsing again unchanged.
func FuzzParseA1(f *testing.F) {
	for _, s := range []string{
		"Sheet1!A1:C10", "'My Sheet'!A:B", "'It''s'!A1", "A1:B2", "Sheet1", "A2:C", "2:5", "B5:A1",
		"$A$1:$B$2", "'x'", "''''!A1", "Sheet1!ZZZ10000000", "!", ":", "'", "A:1", "1:B",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseA1(s)
		if err != nil || r.cells == nil {
			return
		}
		text := formatCells(*r.cells)
		if r.hasSheet {
			text = formatRange(r.sheet, *r.cells)
		}
		again, err := parseA1(text)
		if err != nil || again.cells == nil {
			t.Fatalf("%q formatted as %q, which does not parse: %v", s, text, err)
		}
		if *again.cells != *r.cells || again.sheet != r.sheet {
			t.Fatalf("%q → %q → sheet %q cells %+v, want sheet %q cells %+v", s, text, again.sheet, *again.cells, r.sheet, *r.cells)
		}
	})
}
