package functions

import "context"

// Fetch passes nango.uncontrolledFetch to the inner host when it can send
// it (a dry run on the server), recording the call like a proxied one,
// under its full URL.
func (c *Capture) Fetch(ctx context.Context, req *FetchRequest) (*HTTPResponse, error) {
	f, ok := c.Inner.(Fetcher)
	if !ok {
		return nil, ErrFetchNotAvailable
	}
	resp, err := f.Fetch(ctx, req)
	if err == nil && c.RecordCalls {
		c.record(&HTTPRequest{Method: req.Method, Headers: req.Headers, Body: req.Body}, req.URL, nil, resp)
	}
	return resp, err
}

// WSDL passes the soap module's WSDL fetch to the inner host when it can
// (a dry run on the server).
func (c *Capture) WSDL(ctx context.Context, u string) (*WSDL, error) {
	s, ok := c.Inner.(WSDLSource)
	if !ok {
		return nil, ErrSOAPNotAvailable
	}
	return s.WSDL(ctx, u)
}
