package functions

// Validation says how an action's input and output are held to its zod
// schemas. The function always receives the input as it was sent, not
// zod's parsed copy: that copy reorders and strips keys, and Nango's
// runner hands templates the raw input (a request body built from it
// must keep the caller's key order).
type Validation struct {
	// SkipInput leaves the input unchecked, as Nango's test runner does
	// (`patchbay test`). Otherwise an input that fails the schema fails
	// the run with invalid_input (a 400 on the server).
	SkipInput bool `json:"skipInput,omitempty"`
	// Output says what an output that fails its schema does.
	Output OutputValidation `json:"output,omitempty"`
}

// OutputValidation is what an action's output that fails its schema does.
type OutputValidation string

// Output validations. Nango's runner only logs an invalid output unless
// told to enforce it, so a warning is the default.
const (
	// OutputWarn logs a warning and returns the output (the default).
	OutputWarn OutputValidation = ""
	// OutputEnforce fails the run with invalid_output.
	OutputEnforce OutputValidation = "enforce"
	// OutputSkip does not check the output (`patchbay test`, as
	// Nango's test runner).
	OutputSkip OutputValidation = "skip"
)

// Unvalidated is how `patchbay test` runs actions: neither input nor
// output checked, as in Nango's test mocks.
var Unvalidated = Validation{SkipInput: true, Output: OutputSkip}
