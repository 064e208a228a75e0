package functions

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Namespaces a WSDL 1.1 document is written in.
const (
	nsWSDL   = "http://schemas.xmlsoap.org/wsdl/"
	nsSOAP11 = "http://schemas.xmlsoap.org/wsdl/soap/"
	nsXSD    = "http://www.w3.org/2001/XMLSchema"
)

// WSDL is what the soap module needs of a SOAP service's description:
// its document/literal operations (input and output element, soapAction),
// the address of its first SOAP 1.1 port, and its schema reduced to what
// node-soap derives from it: which child elements are lists (maxOccurs
// above 1) and which simple types convert their text (numbers, booleans,
// dates). It is immutable once parsed, so executions share it.
type WSDL struct {
	// Endpoint is the first SOAP 1.1 port's soap:address location.
	Endpoint string
	// Operations are the bound operations' names, in document order.
	Operations []string

	ops map[string]*soapOperation
	// envelopeXMLNS are the definitions' own namespace declarations
	// (` xmlns:p="uri"`…, the standard ones left out), which node-soap
	// repeats on the Envelope so prefixes in attributes resolve.
	envelopeXMLNS string
	declared      map[string]bool   // prefixes declared on the Envelope
	prefixes      map[string]string // namespace → a prefix the document gives it
	elements      map[xmlName]*xsdElem
	size          int
}

// soapOperation is one operation of the bound port type.
type soapOperation struct {
	name       string
	soapAction string
	rpc        bool
	input      *xsdElem // nil: the message has no element part
	output     *xsdElem
	// inputPrefix is the prefix the input message's part names its
	// element with; node-soap writes the request's root element with it.
	inputPrefix string
}

type xmlName struct{ ns, local string }

// xsdElem is an element declaration.
type xsdElem struct {
	name string
	// ns is the element's namespace when it is qualified, "" when not.
	ns   string
	many bool
	typ  *xsdType
	// qualified says whether the elements declared in this element's
	// schema are qualified by default (elementFormDefault), which is how
	// node-soap prefixes child elements it finds no declaration for.
	qualified bool
}

// xsdType is a type as node-soap sees it: child elements by local name,
// or the conversion of its text.
type xsdType struct {
	children map[string]*xsdElem
	conv     textConv
}

// textConv is how node-soap turns an element's text into a value, chosen
// by the local name of its simple type.
type textConv uint8

const (
	convNone   textConv = iota // kept as a string
	convString                 // a string; an empty element is "" rather than null
	convInt                    // parseInt
	convNumber                 // Number
	convBool                   // "true" or "1"
	convDate                   // new Date
)

func convOf(local string) textConv {
	switch local {
	case "string":
		return convString
	case "int", "integer", "short", "long":
		return convInt
	case "double", "float", "decimal":
		return convNumber
	case "bool", "boolean":
		return convBool
	case "dateTime", "date":
		return convDate
	}
	return convNone
}

// xsdPrimitives are the type names node-soap takes as built in whatever
// their namespace.
var xsdPrimitives = map[string]bool{
	"string": true, "boolean": true, "decimal": true, "float": true, "double": true, "anyType": true, "byte": true,
	"int": true, "long": true, "short": true, "negativeInteger": true, "nonNegativeInteger": true, "positiveInteger": true,
	"nonPositiveInteger": true, "unsignedByte": true, "unsignedInt": true, "unsignedLong": true, "unsignedShort": true,
	"duration": true, "time": true, "dateTime": true, "date": true, "gYearMonth": true, "gYear": true, "gMonthDay": true,
	"gDay": true, "gMonth": true, "hexBinary": true, "base64Binary": true, "anyURI": true, "QName": true, "NOTATION": true,
}

// maxWSDLDepth bounds the nesting of the document and of type
// derivations: a description deeper than this is not a real service.
const maxWSDLDepth = 256

// xnode is an element of the WSDL document, kept until the model is built.
type xnode struct {
	name  xml.Name // Space is the namespace URI
	attrs map[string]string
	scope map[string]string // prefix → namespace in scope ("" the default)
	kids  []*xnode
}

func (n *xnode) attr(name string) string { return n.attrs[name] }

// resolve turns a QName written in an attribute value into a namespace
// and local name.
func (n *xnode) resolve(q string) xmlName {
	prefix, local, ok := strings.Cut(q, ":")
	if !ok {
		return xmlName{n.scope[""], q}
	}
	return xmlName{n.scope[prefix], local}
}

func (n *xnode) is(ns, local string) bool { return n.name.Space == ns && n.name.Local == local }

// readXNodes parses a WSDL document into xnodes, leaving out
// documentation and annotations (most of a large service's bytes).
func readXNodes(data []byte) (*xnode, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var stack []*xnode
	var root *xnode
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("the WSDL is not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "documentation" || t.Name.Local == "annotation" {
				if err := dec.Skip(); err != nil {
					return nil, fmt.Errorf("the WSDL is not well-formed XML: %w", err)
				}
				continue
			}
			if len(stack) >= maxWSDLDepth {
				return nil, errors.New("the WSDL nests elements too deeply")
			}
			n := &xnode{name: t.Name, attrs: map[string]string{}}
			parentScope := map[string]string{}
			if len(stack) > 0 {
				parentScope = stack[len(stack)-1].scope
			}
			n.scope = parentScope
			copied := false
			for _, a := range t.Attr {
				var prefix string
				switch {
				case a.Name.Space == "xmlns":
					prefix = a.Name.Local
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					prefix = ""
				default:
					if a.Name.Space == "" {
						n.attrs[a.Name.Local] = a.Value
					}
					continue
				}
				if !copied {
					n.scope = make(map[string]string, len(parentScope)+1)
					for k, v := range parentScope {
						n.scope[k] = v
					}
					copied = true
				}
				n.scope[prefix] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if root == nil {
		return nil, errors.New("the WSDL is empty")
	}
	return root, nil
}

// schemaInfo is one xsd:schema of the document.
type schemaInfo struct {
	tns       string
	qualified bool
}

// wsdlBuilder turns the document's xnodes into the model.
type wsdlBuilder struct {
	w            *WSDL
	elements     map[xmlName]*xnode
	complexTypes map[xmlName]*xnode
	simpleTypes  map[xmlName]*xnode
	groups       map[xmlName]*xnode
	schemaOf     map[*xnode]*schemaInfo // every global declaration's schema
	types        map[*xnode]*xsdType    // built types, by their node
	globals      map[xmlName]*xsdElem
	depth        int
}

// ParseWSDL reads a WSDL 1.1 document with its schema inline (imported
// and included documents are not fetched).
func ParseWSDL(data []byte) (*WSDL, error) {
	root, err := readXNodes(data)
	if err != nil {
		return nil, err
	}
	if !root.is(nsWSDL, "definitions") {
		return nil, errors.New("not a WSDL 1.1 document (its root is not wsdl:definitions)")
	}
	b := &wsdlBuilder{
		w:            &WSDL{ops: map[string]*soapOperation{}, declared: map[string]bool{}, prefixes: map[string]string{}, elements: map[xmlName]*xsdElem{}, size: len(data)},
		elements:     map[xmlName]*xnode{},
		complexTypes: map[xmlName]*xnode{},
		simpleTypes:  map[xmlName]*xnode{},
		groups:       map[xmlName]*xnode{},
		schemaOf:     map[*xnode]*schemaInfo{},
		types:        map[*xnode]*xsdType{},
		globals:      map[xmlName]*xsdElem{},
	}
	b.namespaces(root)
	for _, n := range root.kids {
		if n.is(nsWSDL, "types") {
			for _, s := range n.kids {
				if s.is(nsXSD, "schema") {
					b.collectSchema(s)
				}
			}
		}
	}
	if err := b.operations(root); err != nil {
		return nil, err
	}
	return b.w, nil
}

// namespaces records the definitions' declarations as node-soap writes
// them on the Envelope, and a prefix for every namespace the document
// names.
func (b *wsdlBuilder) namespaces(root *xnode) {
	var sb strings.Builder
	for prefix, ns := range sortedScope(root.scope) {
		if prefix == "" {
			continue
		}
		if strings.Contains(ns, "http://schemas.xmlsoap.org/") || strings.Contains(ns, "http://www.w3.org/") || strings.Contains(ns, "http://xml.apache.org/") {
			continue
		}
		fmt.Fprintf(&sb, ` xmlns:%s="%s"`, prefix, xmlEscapeString(ns))
		b.w.declared[prefix] = true
		// node-soap writes no element with the prefix tns (one of its
		// ignored namespaces), so it names no namespace here.
		if _, ok := b.w.prefixes[ns]; !ok && prefix != "tns" {
			b.w.prefixes[ns] = prefix
		}
	}
	b.w.envelopeXMLNS = sb.String()
	var walk func(n *xnode, depth int)
	walk = func(n *xnode, depth int) {
		if depth > 8 { // declarations live near the top
			return
		}
		for prefix, ns := range sortedScope(n.scope) {
			if _, ok := b.w.prefixes[ns]; !ok && prefix != "" && prefix != "tns" {
				b.w.prefixes[ns] = prefix
			}
		}
		for _, k := range n.kids {
			walk(k, depth+1)
		}
	}
	walk(root, 0)
}

// sortedScope iterates a scope in prefix order, so what is written is
// the same every time.
func sortedScope(scope map[string]string) func(yield func(string, string) bool) {
	return func(yield func(string, string) bool) {
		keys := make([]string, 0, len(scope))
		for k := range scope {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !yield(k, scope[k]) {
				return
			}
		}
	}
}

func (b *wsdlBuilder) collectSchema(s *xnode) {
	info := &schemaInfo{tns: s.attr("targetNamespace"), qualified: s.attr("elementFormDefault") == "qualified"}
	for _, n := range s.kids {
		if n.name.Space != nsXSD {
			continue
		}
		name := xmlName{info.tns, n.attr("name")}
		var into map[xmlName]*xnode
		switch n.name.Local {
		case "element":
			into = b.elements
		case "complexType":
			into = b.complexTypes
		case "simpleType":
			into = b.simpleTypes
		case "group":
			into = b.groups
		default:
			continue
		}
		if _, dup := into[name]; !dup {
			into[name] = n
		}
		b.schemaOf[n] = info
	}
}

// global returns the declaration of a global element.
func (b *wsdlBuilder) global(name xmlName) *xsdElem {
	if e, ok := b.globals[name]; ok {
		return e
	}
	n, ok := b.elements[name]
	if !ok {
		return nil
	}
	info := b.schemaOf[n]
	e := &xsdElem{name: name.local, ns: info.tns, qualified: info.qualified}
	b.globals[name] = e // before its type: a type may contain its own element
	e.typ = b.elementType(n, info)
	return e
}

// local returns the declaration of an element inside a type.
func (b *wsdlBuilder) local(n *xnode, info *schemaInfo) *xsdElem {
	many := false
	switch m := n.attr("maxOccurs"); m {
	case "", "0", "1":
	case "unbounded":
		many = true
	default:
		v, err := strconv.Atoi(m)
		many = err == nil && v > 1
	}
	if ref := n.attr("ref"); ref != "" {
		g := b.global(n.resolve(ref))
		if g == nil {
			_, local, _ := strings.Cut(ref, ":")
			if local == "" {
				local = ref
			}
			return &xsdElem{name: local, many: many, qualified: info.qualified}
		}
		return &xsdElem{name: g.name, ns: g.ns, many: many, typ: g.typ, qualified: g.qualified}
	}
	e := &xsdElem{name: n.attr("name"), many: many, qualified: info.qualified}
	if form := n.attr("form"); form == "qualified" || (form == "" && info.qualified) {
		e.ns = info.tns
	}
	e.typ = b.elementType(n, info)
	return e
}

// elementType is the type of an element declaration: its type attribute
// or its inline type.
func (b *wsdlBuilder) elementType(n *xnode, info *schemaInfo) *xsdType {
	if t := n.attr("type"); t != "" {
		return b.namedType(n.resolve(t))
	}
	for _, k := range n.kids {
		switch {
		case k.is(nsXSD, "complexType"):
			return b.complexType(k, info)
		case k.is(nsXSD, "simpleType"):
			return b.anonymousSimple(k)
		}
	}
	return &xsdType{}
}

// namedType resolves a type attribute. As node-soap does, a built-in
// name is built in whatever its namespace, and a named simple type keeps
// its text as a string (node-soap reads the type's own name, not its
// base).
func (b *wsdlBuilder) namedType(name xmlName) *xsdType {
	if xsdPrimitives[name.local] || name.ns == nsXSD {
		return &xsdType{conv: convOf(name.local)}
	}
	if n, ok := b.complexTypes[name]; ok {
		return b.complexType(n, b.schemaOf[n])
	}
	if _, ok := b.simpleTypes[name]; ok {
		return &xsdType{conv: convOf(name.local)}
	}
	// An unknown type is kept by name, as node-soap does.
	return &xsdType{conv: convOf(name.local)}
}

// anonymousSimple is an inline simple type: node-soap converts its text
// by its restriction's base.
func (b *wsdlBuilder) anonymousSimple(n *xnode) *xsdType {
	for _, k := range n.kids {
		if k.is(nsXSD, "restriction") {
			return &xsdType{conv: convOf(k.resolve(k.attr("base")).local)}
		}
	}
	return &xsdType{}
}

func (b *wsdlBuilder) complexType(n *xnode, info *schemaInfo) *xsdType {
	if t, ok := b.types[n]; ok {
		return t
	}
	t := &xsdType{}
	b.types[n] = t // before its children: types may be recursive
	if b.depth >= maxWSDLDepth {
		return t
	}
	b.depth++
	defer func() { b.depth-- }()
	for _, k := range n.kids {
		if k.name.Space != nsXSD {
			continue
		}
		switch k.name.Local {
		case "sequence", "choice", "all", "group":
			b.particles(t, k, info)
		case "complexContent":
			for _, d := range k.kids {
				if d.is(nsXSD, "extension") || d.is(nsXSD, "restriction") {
					if base, ok := b.complexTypes[d.resolve(d.attr("base"))]; ok {
						bt := b.complexType(base, b.schemaOf[base])
						for name, e := range bt.children {
							t.addChild(name, e)
						}
					}
					for _, p := range d.kids {
						b.particles(t, p, info)
					}
				}
			}
		case "simpleContent":
			for _, d := range k.kids {
				if d.is(nsXSD, "extension") || d.is(nsXSD, "restriction") {
					base := d.resolve(d.attr("base"))
					if xsdPrimitives[base.local] || base.ns == nsXSD {
						t.conv = convOf(base.local)
					} else if bn, ok := b.complexTypes[base]; ok {
						t.conv = b.complexType(bn, b.schemaOf[bn]).conv
					}
				}
			}
		}
	}
	return t
}

// particles adds the elements of a sequence, choice, all or group
// reference (nested ones included) to t.
func (b *wsdlBuilder) particles(t *xsdType, n *xnode, info *schemaInfo) {
	if n.name.Space != nsXSD {
		return
	}
	switch n.name.Local {
	case "element":
		e := b.local(n, info)
		t.addChild(e.name, e)
	case "sequence", "choice", "all":
		for _, k := range n.kids {
			b.particles(t, k, info)
		}
	case "group":
		ref := n.attr("ref")
		if ref == "" {
			for _, k := range n.kids {
				b.particles(t, k, info)
			}
			return
		}
		g, ok := b.groups[n.resolve(ref)]
		if !ok || b.depth >= maxWSDLDepth {
			return
		}
		b.depth++
		for _, k := range g.kids {
			b.particles(t, k, b.schemaOf[g])
		}
		b.depth--
	}
}

func (t *xsdType) addChild(name string, e *xsdElem) {
	if t.children == nil {
		t.children = map[string]*xsdElem{}
	}
	if _, ok := t.children[name]; !ok || e.many {
		t.children[name] = e
	}
}

// operations reads the messages, port types, bindings and services.
func (b *wsdlBuilder) operations(root *xnode) error {
	type part struct {
		elem   xmlName
		prefix string
	}
	messages := map[xmlName]part{}
	portTypes := map[xmlName]*xnode{}
	bindings := map[xmlName]*xnode{}
	tns := root.attr("targetNamespace")
	var services []*xnode
	for _, n := range root.kids {
		if n.name.Space != nsWSDL {
			continue
		}
		name := xmlName{tns, n.attr("name")}
		switch n.name.Local {
		case "message":
			for _, p := range n.kids {
				if p.is(nsWSDL, "part") && p.attr("element") != "" {
					prefix, _, _ := strings.Cut(p.attr("element"), ":")
					if !strings.Contains(p.attr("element"), ":") {
						prefix = ""
					}
					messages[name] = part{p.resolve(p.attr("element")), prefix}
					break
				}
			}
		case "portType":
			portTypes[name] = n
		case "binding":
			bindings[name] = n
		case "service":
			services = append(services, n)
		}
	}
	// The first SOAP 1.1 port names the binding and the endpoint.
	var binding *xnode
	for _, s := range services {
		for _, p := range s.kids {
			if !p.is(nsWSDL, "port") {
				continue
			}
			bn, ok := bindings[p.resolve(p.attr("binding"))]
			if !ok || !isSOAP11Binding(bn) {
				continue
			}
			for _, a := range p.kids {
				if a.is(nsSOAP11, "address") {
					b.w.Endpoint = a.attr("location")
				}
			}
			binding = bn
			break
		}
		if binding != nil {
			break
		}
	}
	if binding == nil {
		// A WSDL without a service still describes its operations.
		for _, bn := range bindings {
			if isSOAP11Binding(bn) {
				binding = bn
				break
			}
		}
	}
	if binding == nil {
		return errors.New("the WSDL has no SOAP 1.1 binding (SOAP 1.2 and HTTP bindings are not supported)")
	}
	style := "document"
	for _, k := range binding.kids {
		if k.is(nsSOAP11, "binding") && k.attr("style") != "" {
			style = k.attr("style")
		}
	}
	pt := portTypes[binding.resolve(binding.attr("type"))]
	opMsgs := map[string][2]xmlName{}
	if pt != nil {
		for _, op := range pt.kids {
			if !op.is(nsWSDL, "operation") {
				continue
			}
			var msgs [2]xmlName
			for _, k := range op.kids {
				switch {
				case k.is(nsWSDL, "input"):
					msgs[0] = k.resolve(k.attr("message"))
				case k.is(nsWSDL, "output"):
					msgs[1] = k.resolve(k.attr("message"))
				}
			}
			opMsgs[op.attr("name")] = msgs
		}
	}
	for _, k := range binding.kids {
		if !k.is(nsWSDL, "operation") {
			continue
		}
		op := &soapOperation{name: k.attr("name"), rpc: style == "rpc"}
		for _, s := range k.kids {
			if s.is(nsSOAP11, "operation") {
				op.soapAction = s.attr("soapAction")
				if st := s.attr("style"); st != "" {
					op.rpc = st == "rpc"
				}
			}
		}
		msgs := opMsgs[op.name]
		if in, ok := messages[msgs[0]]; ok {
			op.input = b.global(in.elem)
			op.inputPrefix = in.prefix
		}
		if out, ok := messages[msgs[1]]; ok {
			op.output = b.global(out.elem)
		}
		if op.name == "" {
			continue
		}
		if _, dup := b.w.ops[op.name]; !dup {
			b.w.Operations = append(b.w.Operations, op.name)
		}
		b.w.ops[op.name] = op
	}
	for name, e := range b.globals {
		b.w.elements[name] = e
	}
	return nil
}

func isSOAP11Binding(bn *xnode) bool {
	for _, k := range bn.kids {
		if k.is(nsSOAP11, "binding") {
			return true
		}
	}
	return false
}

// element finds a global element by local name, as node-soap finds a
// response's message by its body element's name.
func (w *WSDL) element(local string) *xsdElem {
	for name, e := range w.elements {
		if name.local == local {
			return e
		}
	}
	return nil
}
