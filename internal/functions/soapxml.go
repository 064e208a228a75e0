package functions

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file converts between node-soap's JavaScript shape of XML and
// XML: `attributes: {…}` for an element's attributes, `$value` for its
// text beside attributes, `$xml` for raw XML, arrays for repeated
// elements.

// jnode is a JSON value with its object keys in order: node-soap writes
// elements in the order the function's object lists them.
type jnode struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' boolean, 'z' null
	text string
	keys []string
	vals []*jnode
}

// maxSOAPArgsDepth bounds the nesting of a request's arguments.
const maxSOAPArgsDepth = 128

func parseJNode(raw []byte) (*jnode, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	n, err := readJNode(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the arguments")
	}
	return n, nil
}

func readJNode(dec *json.Decoder, depth int) (*jnode, error) {
	if depth > maxSOAPArgsDepth {
		return nil, errors.New("the arguments nest too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &jnode{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := readJNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k)
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &jnode{kind: 'a'}
			for dec.More() {
				v, err := readJNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token()
			return n, err
		}
	case string:
		return &jnode{kind: 's', text: t}, nil
	case json.Number:
		return &jnode{kind: 'n', text: t.String()}, nil
	case bool:
		return &jnode{kind: 'b', text: strconv.FormatBool(t)}, nil
	case nil:
		return &jnode{kind: 'z'}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

func (n *jnode) get(key string) *jnode {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// xmlEscapeString escapes text as node-soap's xmlEscape does; a value
// wrapped in <![CDATA[ … ]]> is written as it is.
func xmlEscapeString(s string) string {
	if strings.HasPrefix(s, "<![CDATA[") && strings.HasSuffix(s, "]]>") && len(s) >= 12 {
		return s
	}
	return xmlEscaper.Replace(s)
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;", "\t", "&#x9;", "\r", "&#xD;", "\n", "&#xA;")

// soapEncoder writes a document/literal request body.
type soapEncoder struct {
	w   *WSDL
	buf strings.Builder
}

// encodeMessage writes the operation's input element from args, as
// node-soap's objectToDocumentXML does for a document/literal binding:
// the root element carries the message part's prefix and the target
// namespace; child elements are prefixed when their schema qualifies
// them.
func (w *WSDL) encodeMessage(op *soapOperation, args *jnode) (string, error) {
	if op.rpc {
		return "", fmt.Errorf("soap: %s is an RPC-style operation; only document/literal operations are supported here", op.name)
	}
	if op.input == nil {
		return "", fmt.Errorf("soap: the WSDL gives %s no input element", op.name)
	}
	if args != nil && args.kind == 'o' {
		if x := args.get("_xml"); x != nil && x.kind == 's' {
			return x.text, nil // node-soap sends a caller's own XML as is
		}
	}
	e := &soapEncoder{w: w}
	prefix := op.inputPrefix
	if prefix == "tns" || prefix == "targetNamespace" || prefix == "typedNamespace" {
		prefix = ""
	}
	in := op.input
	var xmlns string
	if prefix != "" {
		xmlns += fmt.Sprintf(` xmlns:%s="%s"`, prefix, xmlEscapeString(in.ns))
	}
	if in.qualified {
		xmlns += fmt.Sprintf(` xmlns="%s"`, xmlEscapeString(in.ns))
	}
	tag := in.name
	if prefix != "" {
		tag = prefix + ":" + in.name
	}
	e.buf.WriteString("<" + tag)
	e.attributes(args)
	e.buf.WriteString(xmlns)
	if args == nil || args.kind == 'z' {
		e.buf.WriteString(` xsi:nil="true">`)
	} else {
		e.buf.WriteString(">")
	}
	e.content(args, in.typ, prefix, in.qualified)
	e.buf.WriteString("</" + tag + ">")
	return e.buf.String(), nil
}

// attributes writes the attributes member of v.
func (e *soapEncoder) attributes(v *jnode) {
	if v == nil || v.kind != 'o' {
		return
	}
	a := v.get("attributes")
	if a == nil || a.kind != 'o' {
		return
	}
	for i, k := range a.keys {
		val := a.vals[i]
		if val.kind == 'o' || val.kind == 'a' || val.kind == 'z' {
			continue // xsi_type objects and the like are not supported
		}
		e.buf.WriteString(" " + k + `="` + xmlEscapeString(val.text) + `"`)
	}
}

// content writes what goes between an element's tags.
func (e *soapEncoder) content(v *jnode, t *xsdType, prefix string, qualified bool) {
	if v == nil {
		return
	}
	switch v.kind {
	case 's':
		e.buf.WriteString(xmlEscapeString(v.text))
		return
	case 'n', 'b':
		e.buf.WriteString(v.text)
		return
	case 'z', 'a':
		return
	}
	start := e.buf.Len()
	for i, key := range v.keys {
		child := v.vals[i]
		switch key {
		case "attributes":
			continue
		case "$xml", "$value":
			// node-soap returns this member alone, whatever came before.
			s := e.buf.String()[:start]
			e.buf.Reset()
			e.buf.WriteString(s)
			if key == "$xml" {
				if child.kind == 's' || child.kind == 'n' || child.kind == 'b' {
					e.buf.WriteString(child.text)
				}
			} else {
				e.content(&jnode{kind: scalarKind(child), text: child.text}, nil, prefix, qualified)
			}
			return
		}
		e.element(key, child, t, prefix, qualified)
	}
}

func scalarKind(n *jnode) byte {
	if n.kind == 'o' || n.kind == 'a' {
		return 'z'
	}
	return n.kind
}

// element writes one member of an object as an element (or elements,
// for an array).
func (e *soapEncoder) element(key string, v *jnode, parent *xsdType, parentPrefix string, parentQualified bool) {
	name, explicit := key, ""
	if p, local, ok := strings.Cut(key, ":"); ok && p != "" && local != "" && !strings.Contains(local, ":") {
		explicit, name = p, local
	} else if strings.HasPrefix(key, ":") {
		name = key[1:]
	}
	var decl *xsdElem
	if parent != nil {
		decl = parent.children[name]
	}
	prefix, xmlns := "", ""
	qualified := parentQualified
	var typ *xsdType
	switch {
	case explicit != "":
		prefix = explicit
	case strings.HasPrefix(key, ":"):
	case decl != nil:
		typ, qualified = decl.typ, decl.qualified
		if decl.ns != "" {
			prefix, xmlns = e.prefixFor(decl.ns, parentPrefix)
		}
	case parentQualified:
		prefix = parentPrefix
	}
	if decl != nil && explicit != "" {
		typ, qualified = decl.typ, decl.qualified
	}
	tag := name
	if prefix != "" {
		tag = prefix + ":" + name
	}
	items := []*jnode{v}
	if v.kind == 'a' {
		items = v.vals
	}
	// Members of an element named with an explicit prefix keep the
	// parent's prefix, as node-soap writes them.
	kidPrefix := prefix
	if explicit != "" && decl == nil {
		kidPrefix = parentPrefix
	}
	for _, item := range items {
		e.buf.WriteString("<" + tag)
		e.attributes(item)
		e.buf.WriteString(xmlns)
		if item.kind == 'z' && v.kind != 'a' {
			e.buf.WriteString(` xsi:nil="true"`)
		}
		e.buf.WriteString(">")
		if item.kind != 'a' {
			e.content(item, typ, kidPrefix, qualified)
		}
		e.buf.WriteString("</" + tag + ">")
	}
}

// prefixFor is the prefix an element of namespace ns is written with,
// and the declaration to add when the Envelope does not declare it.
func (e *soapEncoder) prefixFor(ns, parentPrefix string) (string, string) {
	p, ok := e.w.prefixes[ns]
	if !ok {
		return parentPrefix, ""
	}
	if e.w.declared[p] || p == parentPrefix {
		return p, ""
	}
	return p, fmt.Sprintf(` xmlns:%s="%s"`, p, xmlEscapeString(ns))
}

// decoded is a response read into node-soap's shape.
type decoded struct {
	// Result is the output element's object (node-soap's first result),
	// nil when the Body has no such element (undefined, as node-soap's).
	Result json.RawMessage `json:"result,omitempty"`
	// Header is the Envelope's Header, null when none.
	Header json.RawMessage `json:"header"`
	// Fault, when the Body is a Fault, is node-soap's error message for
	// it; Root is then the whole document ({Envelope: …}).
	Fault string          `json:"fault,omitempty"`
	Root  json.RawMessage `json:"root,omitempty"`
	// Revive says values that JSON cannot carry (dates, NaN, infinities)
	// are written as {" pb": kind, "v": text} and must be revived.
	Revive bool `json:"revive,omitempty"`
}

// value is a decoded XML element.
type value struct {
	kind  byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null, 'd' date, 'x' special number
	text  string
	keys  []string
	vals  []*value
	index map[string]int
}

// smallObject is the number of members up to which an object is
// searched by scanning rather than through an index.
const smallObject = 8

func (v *value) set(key string, x *value) {
	if v.index == nil && len(v.keys) >= smallObject {
		v.index = make(map[string]int, 2*smallObject)
		for i, k := range v.keys {
			v.index[k] = i
		}
	}
	if v.index != nil {
		v.index[key] = len(v.keys)
	}
	v.keys = append(v.keys, key)
	v.vals = append(v.vals, x)
}

func (v *value) pos(key string) int {
	if v.index != nil {
		if i, ok := v.index[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range v.keys {
		if k == key {
			return i
		}
	}
	return -1
}

func (v *value) lookup(key string) *value {
	if i := v.pos(key); i >= 0 {
		return v.vals[i]
	}
	return nil
}

// frame is an element being read.
type frame struct {
	name     string
	obj      *value
	typ      *xsdType
	text     strings.Builder
	hasAttrs bool
	hasKids  bool
	nil      bool
}

const (
	nsSOAPEnv = "http://schemas.xmlsoap.org/soap/envelope/"
	nsXSI     = "http://www.w3.org/2001/XMLSchema-instance"
)

// envelopeType is the part of a response node-soap knows without the
// WSDL: the Envelope, its Header and Body, and a Fault's members as
// strings.
var envelopeType = func() *xsdType {
	str := &xsdType{conv: convString}
	fault := &xsdType{children: map[string]*xsdElem{
		"faultcode": {name: "faultcode", typ: str}, "faultstring": {name: "faultstring", typ: str}, "detail": {name: "detail", typ: str},
	}}
	body := &xsdType{children: map[string]*xsdElem{"Fault": {name: "Fault", typ: fault}}}
	env := &xsdType{children: map[string]*xsdElem{"Header": {name: "Header", typ: &xsdType{}}, "Body": {name: "Body", typ: body}}}
	return &xsdType{children: map[string]*xsdElem{"Envelope": {name: "Envelope", typ: env}}}
}()

// maxSOAPDepth bounds the nesting of a response.
const maxSOAPDepth = 512

// decodeResponse reads a SOAP response as node-soap's xmlToObject does:
// element names without their prefix, attributes (as written, prefixes
// kept) under "attributes", text beside attributes as "$value", text
// converted by its schema type, empty elements null (or "" for a
// string), xsi:nil elements left out, and an element the schema lets
// repeat always an array.
func (w *WSDL) decodeResponse(op *soapOperation, body []byte) (*decoded, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	root := &value{kind: 'o'}
	stack := []*frame{{obj: root, typ: envelopeType}}
	xsiPrefixes := map[string]bool{}
	var special bool
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("the response is not XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > maxSOAPDepth {
				return nil, errors.New("the response nests elements too deeply")
			}
			top := stack[len(stack)-1]
			top.hasKids = true
			f := &frame{name: t.Name.Local, obj: &value{kind: 'o'}}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" && a.Value == nsXSI {
					xsiPrefixes[a.Name.Local] = true
				}
			}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				if a.Name.Local == "nil" && xsiPrefixes[a.Name.Space] && (strings.EqualFold(a.Value, "true") || a.Value == "1") {
					f.nil = true
				}
				if !f.hasAttrs {
					f.hasAttrs = true
					f.obj.set("attributes", &value{kind: 'o'})
				}
				name := a.Name.Local
				if a.Name.Space != "" {
					name = a.Name.Space + ":" + name
				}
				f.obj.vals[0].set(name, &value{kind: 's', text: a.Value})
			}
			f.typ = w.childType(op, top, f.name, len(stack))
			stack = append(stack, f)
		case xml.CharData:
			stack[len(stack)-1].text.Write(t)
		case xml.EndElement:
			if len(stack) < 2 {
				return nil, errors.New("the response is not XML: unexpected end element")
			}
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if f.name != t.Name.Local {
				return nil, fmt.Errorf("the response is not XML: element <%s> closed by </%s>", f.name, t.Name.Local)
			}
			obj := f.obj
			var conv textConv
			if f.typ != nil {
				conv = f.typ.conv
			}
			if text := strings.TrimSpace(f.text.String()); text != "" && !f.hasKids {
				v := convertText(text, conv)
				if v.kind == 'd' || v.kind == 'x' {
					special = true
				}
				if f.hasAttrs {
					obj.set("$value", v)
				} else {
					obj = v
				}
			} else if obj.kind == 'o' && len(obj.keys) == 0 {
				if conv == convString {
					obj = &value{kind: 's'}
				} else {
					obj = &value{kind: 'z'}
				}
			}
			if f.nil {
				continue
			}
			parent := stack[len(stack)-1]
			many := false
			if parent.typ != nil {
				if e := parent.typ.children[f.name]; e != nil {
					many = e.many
				}
			}
			existing := parent.obj.lookup(f.name)
			switch {
			case existing == nil && many:
				parent.obj.set(f.name, &value{kind: 'a', vals: []*value{obj}})
			case existing == nil:
				parent.obj.set(f.name, obj)
			case existing.kind == 'a' && (many || existing.text == "repeated"):
				existing.vals = append(existing.vals, obj)
			default:
				// A second element of a name the schema does not let
				// repeat: node-soap makes the member an array then.
				arr := &value{kind: 'a', text: "repeated", vals: []*value{existing, obj}}
				parent.obj.vals[parent.obj.pos(f.name)] = arr
			}
		}
	}
	if len(stack) != 1 {
		return nil, errors.New("the response is not XML: it ends inside an element")
	}
	if len(root.keys) == 0 {
		return nil, errors.New("the response is not XML: it has no element")
	}
	out := &decoded{Revive: special, Header: json.RawMessage("null")}
	env := root.lookup("Envelope")
	if env == nil || env.kind != 'o' {
		// Not a SOAP envelope: node-soap hands over the document.
		out.Result = root.json()
		return out, nil
	}
	if h := env.lookup("Header"); h != nil {
		out.Header = h.json()
	}
	b := env.lookup("Body")
	if b == nil || b.kind != 'o' {
		return out, nil
	}
	if f := b.lookup("Fault"); f != nil {
		out.Fault = faultMessage(f)
		out.Root = root.json()
		return out, nil
	}
	if op != nil && op.output != nil {
		name := op.output.name
		r := b.lookup(name)
		if r == nil {
			r = b.lookup(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "Response"), "Output"), "Out"))
		}
		for _, suffix := range []string{"Response", "Out", "Output"} {
			if r == nil {
				r = b.lookup(op.name + suffix)
			}
		}
		if r != nil {
			out.Result = r.json()
		}
	}
	return out, nil
}

// childType is the schema type of element name inside top: the
// Envelope's own structure, then for the Body's element the operation's
// output element (or the global element of that name).
func (w *WSDL) childType(op *soapOperation, top *frame, name string, depth int) *xsdType {
	if top.typ == nil {
		return nil
	}
	if depth == 3 && top.name == "Body" && name != "Fault" {
		if op != nil && op.output != nil && op.output.name == name {
			return op.output.typ
		}
		if e := w.element(name); e != nil {
			return e.typ
		}
		return nil
	}
	if e := top.typ.children[name]; e != nil {
		return e.typ
	}
	return nil
}

// faultMessage is node-soap's message for a Fault: "code: string", and
// the detail as JSON when there is one.
func faultMessage(f *value) string {
	str := func(v *value) string {
		if v == nil {
			return ""
		}
		if v.kind == 'o' {
			if x := v.lookup("$value"); x != nil {
				return x.text
			}
			return string(v.json())
		}
		return v.text
	}
	code, msg := str(f.lookup("faultcode")), str(f.lookup("faultstring"))
	detail := f.lookup("detail")
	if code == "" && msg == "" {
		// SOAP 1.2's Code/Reason.
		if c := f.lookup("Code"); c != nil && c.kind == 'o' {
			code = str(c.lookup("Value"))
		}
		if r := f.lookup("Reason"); r != nil && r.kind == 'o' {
			msg = str(r.lookup("Text"))
		}
		detail = f.lookup("Detail")
	}
	s := code + ": " + msg
	if detail != nil && detail.kind != 'z' && !(detail.kind == 's' && detail.text == "") {
		s += ": " + string(detail.json())
	}
	return s
}

// convertText turns an element's trimmed text into a value by its type,
// as node-soap does.
func convertText(text string, conv textConv) *value {
	switch conv {
	case convInt:
		return jsNumber(parseIntPrefix(text))
	case convNumber:
		return jsNumber(jsToNumber(text))
	case convBool:
		return &value{kind: 'b', text: strconv.FormatBool(strings.ToLower(text) == "true" || text == "1")}
	case convDate:
		return &value{kind: 'd', text: text}
	}
	return &value{kind: 's', text: text}
}

func jsNumber(f float64) *value {
	switch {
	case math.IsNaN(f):
		return &value{kind: 'x', text: "NaN"}
	case math.IsInf(f, 1):
		return &value{kind: 'x', text: "Infinity"}
	case math.IsInf(f, -1):
		return &value{kind: 'x', text: "-Infinity"}
	}
	b, _ := json.Marshal(f)
	return &value{kind: 'n', text: string(b)}
}

// parseIntPrefix is JavaScript's parseInt(text, 10): an optional sign and
// the leading digits, NaN when there are none.
func parseIntPrefix(s string) float64 {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return math.NaN()
	}
	f, _ := strconv.ParseFloat(s[i:j], 64)
	if neg {
		f = -f
	}
	return f
}

// jsToNumber is JavaScript's Number(text) for trimmed, non-empty text.
func jsToNumber(s string) float64 {
	switch s {
	case "Infinity", "+Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	}
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X' || s[1] == 'o' || s[1] == 'O' || s[1] == 'b' || s[1] == 'B') {
		v, err := strconv.ParseUint(s[2:], map[byte]int{'x': 16, 'o': 8, 'b': 2}[s[1]|0x20], 64)
		if err != nil {
			return math.NaN()
		}
		return float64(v)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return math.NaN() // ParseFloat would take "inf", "nan", "0x…p…" and underscores
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return math.NaN()
	}
	return f
}

// json writes v as JSON, keys in order; dates and special numbers are
// written as {" pb": kind, "v": text} for the sandbox to revive.
func (v *value) json() json.RawMessage {
	var b bytes.Buffer
	v.write(&b)
	return b.Bytes()
}

func (v *value) write(b *bytes.Buffer) {
	switch v.kind {
	case 'o':
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			v.vals[i].write(b)
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, x := range v.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			x.write(b)
		}
		b.WriteByte(']')
	case 's':
		writeJSONString(b, v.text)
	case 'n', 'b':
		b.WriteString(v.text)
	case 'z':
		b.WriteString("null")
	case 'd', 'x':
		b.WriteString(`{" pb":"` + string(v.kind) + `","v":`)
		writeJSONString(b, v.text)
		b.WriteByte('}')
	}
}

// writeJSONString writes s as a JSON string, leaving <, > and &
// unescaped (json.Marshal would escape them for HTML).
func writeJSONString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i, r := range s {
		var esc string
		switch {
		case r == '"':
			esc = `\"`
		case r == '\\':
			esc = `\\`
		case r == '\n':
			esc = `\n`
		case r == '\r':
			esc = `\r`
		case r == '\t':
			esc = `\t`
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			esc = `\u` + string([]byte{hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf]})
		case r == utf8.RuneError:
			// Invalid UTF-8 is written as U+FFFD, as json.Marshal does.
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				esc = "\ufffd"
			} else {
				continue
			}
		default:
			continue
		}
		b.WriteString(s[start:i])
		b.WriteString(esc)
		start = i + utf8.RuneLen(r)
		if r == utf8.RuneError {
			start = i + 1
		}
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
