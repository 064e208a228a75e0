package records

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Schema checks the records of one model against the model's JSON Schema,
// which the compiler derived from the sync's zod model. That is how Nango
// validates records too (against the model's JSON Schema, on the server),
// and doing it here, in Go, keeps the work off the sandbox's one thread.
type Schema struct {
	model  string
	schema *jsonschema.Schema
	// fast accepts most valid records without decoding them (nil: the
	// schema uses keywords it does not implement).
	fast *fastNode
}

// CompileSchema compiles a model's JSON Schema; nil or empty accepts any
// object.
func CompileSchema(model string, raw json.RawMessage) (*Schema, error) {
	s := &Schema{model: model, fast: &fastNode{any: true}}
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "{}" {
		return s, nil
	}
	s.fast = compileFast(raw)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("the JSON Schema of model %s: %w", model, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const url = "patchbay:model.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("the JSON Schema of model %s: %w", model, err)
	}
	if s.schema, err = c.Compile(url); err != nil {
		return nil, fmt.Errorf("the JSON Schema of model %s: %w", model, err)
	}
	return s, nil
}

// Invalid is a record its model refuses.
type Invalid struct {
	Index int    // in its batch
	ID    string // "" when it has none
	// Problems are "field.path: what is wrong", one per failed rule.
	Problems []string
}

func (iv *Invalid) Error() string {
	id := iv.ID
	if id == "" {
		id = fmt.Sprintf("#%d of the batch", iv.Index)
	}
	return fmt.Sprintf("record %s: %s", id, strings.Join(iv.Problems, "; "))
}

var printer = message.NewPrinter(language.English)

// Check reads each record's id (a string, or a number kept as its JSON
// text) and checks it against the schema. It returns the ids and
// payloads of the valid records and what is wrong with the others.
func (s *Schema) Check(payloads []json.RawMessage) (ids []string, valid []json.RawMessage, invalid []*Invalid) {
	ids = make([]string, 0, len(payloads))
	valid = payloads[:0:0]
	for i, raw := range payloads {
		if s.fast != nil {
			if id, ok := s.fast.checkRecord(raw); ok {
				ids = append(ids, id)
				valid = append(valid, raw)
				continue
			}
		}
		id, problems := s.check(raw)
		if len(problems) > 0 {
			invalid = append(invalid, &Invalid{Index: i, ID: id, Problems: problems})
			continue
		}
		ids = append(ids, id)
		valid = append(valid, raw)
	}
	return ids, valid, invalid
}

func (s *Schema) check(raw json.RawMessage) (string, []string) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return "", []string{"not JSON: " + err.Error()}
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return "", []string{"a record must be an object"}
	}
	id, err := recordID(obj["id"])
	if err != nil {
		return "", []string{"id: " + err.Error()}
	}
	if s.schema == nil {
		return id, nil
	}
	err = s.schema.Validate(doc)
	if err == nil {
		return id, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return id, []string{err.Error()}
	}
	var problems []string
	leaves(ve, func(e *jsonschema.ValidationError) {
		where := strings.Join(e.InstanceLocation, ".")
		if where == "" {
			where = "(record)"
		}
		problems = append(problems, where+": "+e.ErrorKind.LocalizedString(printer))
	})
	slices.Sort(problems)
	return id, slices.Compact(problems)
}

// leaves calls f for the errors that have no causes: the rules that
// failed, with the field they failed on.
func leaves(e *jsonschema.ValidationError, f func(*jsonschema.ValidationError)) {
	if len(e.Causes) == 0 {
		f(e)
		return
	}
	for _, c := range e.Causes {
		leaves(c, f)
	}
}

func recordID(v any) (string, error) {
	switch id := v.(type) {
	case string:
		if id == "" || len(id) > MaxIDLength {
			return "", fmt.Errorf("must have 1 to %d characters", MaxIDLength)
		}
		return id, nil
	case json.Number:
		return id.String(), nil
	case nil:
		return "", errors.New("is required (a string or a number)")
	default:
		return "", errors.New("must be a string or a number")
	}
}
