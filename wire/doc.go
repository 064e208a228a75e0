// Package wire defines the JSON bodies of Patchbay's REST API that the
// server writes and the Go client reads, once, so that the two cannot
// drift apart. The server's packages and package client both use these
// types (the client under its own names, as aliases); the package imports
// only the standard library, so the client still imports nothing of the
// server's.
//
// Where the client presents a body differently (times parsed, secrets
// typed, durations), its type reads and writes the JSON through the type
// here, so the shape is still defined once, by what the server answers.
package wire
