// Package wire defines the JSON bodies of Patchbay's REST API that the
// server writes and the Go client reads, once, so that the two cannot
// drift apart. The server's packages and package client both use these
// types (the client under its own names, as aliases); the package imports
// only the standard library, so the client still imports nothing of the
// server's.
//
// Only bodies whose shape is the same on both sides live here. A body the
// server builds field by field from its domain types, or that the client
// presents differently (times parsed, secrets typed), stays with its
// side.
package wire
