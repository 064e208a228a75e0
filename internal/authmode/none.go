package authmode

// None is a provider that needs no credentials.
var None = &Mode{Name: "NONE"}
