package hubspot

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Pages of contacts are written by hand rather than through
// encoding/json: the simulator shares the machine with the Patchbay it
// serves in benchmarks and tests, and reflecting over a map of properties
// per contact (sorting its keys each time) made it a tenth of a sync
// benchmark's CPU. The bytes mean what json.Marshal(render(…)) means
// (TestPageJSON holds them to it); keys come in the same order.

// pageProps is the property names a contact renders: the id and the two
// timestamps always, then those of props HubSpot knows, each once, sorted
// as encoding/json sorts map keys.
func pageProps(props []string) []string {
	names := []string{propID, propCreated, propModified}
	for _, name := range props {
		if slices.Contains(names, name) || !writableProps[name] && !readOnlyProp(name) {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// appendContact appends c as render(c, props) would marshal, names being
// pageProps(props).
func appendContact(b []byte, c *contact, names []string) []byte {
	b = append(b, `{"id":"`...)
	b = strconv.AppendInt(b, c.id, 10)
	b = append(b, `","properties":{`...)
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, name)
		b = append(b, ':')
		switch name {
		case propID:
			b = append(b, '"')
			b = strconv.AppendInt(b, c.id, 10)
			b = append(b, '"')
		case propCreated:
			b = appendMillis(b, c.created)
		case propModified, "hs_lastmodifieddate":
			b = appendMillis(b, c.updated)
		default:
			if v, ok := c.value(name); ok {
				b = appendString(b, v)
			} else {
				b = append(b, "null"...)
			}
		}
	}
	b = append(b, `},"createdAt":`...)
	b = appendMillis(b, c.created)
	b = append(b, `,"updatedAt":`...)
	b = appendMillis(b, c.updated)
	b = append(b, `,"archived":`...)
	b = strconv.AppendBool(b, c.archived)
	if c.archived {
		b = append(b, `,"archivedAt":`...)
		b = appendMillis(b, c.archivedAt)
	}
	return append(b, '}')
}

// appendMillis appends isoMillis(ms) quoted.
func appendMillis(b []byte, ms int64) []byte {
	b = append(b, '"')
	b = time.UnixMilli(ms).UTC().AppendFormat(b, millisLayout)
	return append(b, '"')
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as encoding/json writes it.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			// Valid JSON either way; escaped as encoding/json does, for
			// JavaScript readers that predate ES2019.
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// writePage writes a page of contacts: {"total"?, "results", "paging"?}.
// total < 0 leaves it out (the list endpoint has none).
func writePage(w http.ResponseWriter, total int, page []*contact, props []string, next *paging) {
	names := pageProps(props)
	b := make([]byte, 0, 64+len(page)*(96+40*len(names)))
	b = append(b, '{')
	if total >= 0 {
		b = append(b, `"total":`...)
		b = strconv.AppendInt(b, int64(total), 10)
		b = append(b, ',')
	}
	b = append(b, `"results":[`...)
	for i, ct := range page {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendContact(b, ct, names)
	}
	b = append(b, ']')
	if next != nil {
		pj, err := json.Marshal(next)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		b = append(b, `,"paging":`...)
		b = append(b, pj...)
	}
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
