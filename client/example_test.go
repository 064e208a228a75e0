package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/patchbay/patchbay/client"
)

// fakePatchbay stands in for a Patchbay server so the examples run offline.
func fakePatchbay() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /integrations/{key}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("key") != "github" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"code":"unknown_provider_config","message":"Integration does not exist"}}`)
			return
		}
		io.WriteString(w, `{"data":{"unique_key":"github","display_name":"GitHub","provider":"github",
			"created_at":"2026-11-25T10:00:00.123Z","updated_at":"2026-11-25T10:00:00.123Z",
			"webhook_url":"http://localhost:3003/webhook/0b4c/github"}}`)
	})
	mux.HandleFunc("POST /integrations", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"code":"invalid_body","message":"Invalid request body",
			"errors":[{"code":"invalid_type","message":"Required","path":["credentials","client_id"]}]}}`)
	})
	return httptest.NewServer(mux)
}

func ExampleClient_GetIntegration() {
	srv := fakePatchbay()
	defer srv.Close()
	pb := client.New(srv.URL, "secret-key")

	in, err := pb.GetIntegration(context.Background(), "github", client.IncludeWebhook)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(in.DisplayName, in.WebhookURL)

	_, err = pb.GetIntegration(context.Background(), "gitlab")
	fmt.Println(client.IsNotFound(err))
	// Output:
	// GitHub http://localhost:3003/webhook/0b4c/github
	// true
}

func ExampleError() {
	srv := fakePatchbay()
	defer srv.Close()
	pb := client.New(srv.URL, "secret-key")

	_, err := pb.CreateIntegration(context.Background(), client.CreateIntegrationRequest{
		UniqueKey:   "github",
		Provider:    "github",
		Credentials: &client.IntegrationCredentials{Type: "OAUTH2"},
	})
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code)
		for _, fe := range apiErr.Errors {
			fmt.Println(fe)
		}
	}
	fmt.Println(err)
	// Output:
	// 400 invalid_body
	// credentials.client_id: Required
	// patchbay: 400 invalid_body: Invalid request body (credentials.client_id: Required)
}
