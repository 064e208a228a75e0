package authmode

// TBA is NetSuite's token-based authentication. Only its integration
// credentials are known; the catalog does not support the mode yet.
var TBA = &Mode{Name: "TBA", Partial: true, Integration: oauthApp}
