package functions

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// recordArgs are the arguments of the record methods (batchSave…), as the
// nango module sends them: {model, records, invalid}.
type recordArgs struct {
	Model   string            `json:"model"`
	Records []json.RawMessage `json:"records"`
	Invalid int               `json:"invalid"`
}

// splitRecordArgs reads record arguments in the one form the nango module
// writes them, JSON.stringify({model, records, invalid}): the records are
// cut out of the text where they stand instead of being decoded, which
// costs a tenth of what decoding did (a twentieth of a sync's time went
// there). It takes apart only the outer object and the array, finding
// each record's end by its brackets and strings; each record's own JSON
// is checked where records are checked against their model. Anything in
// another form (other keys, order or spacing, escapes in the model name)
// returns false, and decodeArgs reads it.
func splitRecordArgs(raw []byte) (recordArgs, bool) {
	var out recordArgs
	const head, mid, tail = `{"model":"`, `","records":[`, `],"invalid":`
	if !bytes.HasPrefix(raw, []byte(head)) || len(raw) < len(head)+len(mid)+len(tail)+2 || raw[len(raw)-1] != '}' {
		return out, false
	}
	rest := raw[len(head):]
	end := bytes.IndexByte(rest, '"')
	if end <= 0 || bytes.IndexByte(rest[:end], '\\') >= 0 || !bytes.HasPrefix(rest[end:], []byte(mid)) {
		return out, false
	}
	out.Model = string(rest[:end])
	rest = rest[end+len(mid):]
	at := bytes.LastIndex(rest, []byte(tail))
	if at < 0 {
		return out, false
	}
	n, err := strconv.Atoi(string(rest[at+len(tail) : len(rest)-1]))
	if err != nil || n < 0 {
		return out, false
	}
	out.Invalid = n
	list := rest[:at]
	out.Records = make([]json.RawMessage, 0, 64)
	for start, depth, i := 0, 0, 0; i < len(list); i++ {
		switch list[i] {
		case '"':
			// Skip the string, escapes and all.
			for i++; i < len(list) && list[i] != '"'; i++ {
				if list[i] == '\\' {
					i++
				}
			}
			if i >= len(list) {
				return out, false
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth < 0 {
				return out, false
			}
		case ',':
			if depth == 0 {
				if !bare(list[start:i]) {
					return out, false
				}
				out.Records = append(out.Records, json.RawMessage(list[start:i]))
				start = i + 1
			}
		}
		if i == len(list)-1 {
			if depth != 0 || !bare(list[start:]) {
				return out, false
			}
			out.Records = append(out.Records, json.RawMessage(list[start:]))
		}
	}
	return out, true
}

// bare says a record's text is not empty and has no space around it
// (which JSON.stringify never writes, and decoding would drop).
func bare(b []byte) bool {
	space := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	return len(b) > 0 && !space(b[0]) && !space(b[len(b)-1])
}
