package serverhost

import (
	"encoding/json"
	"testing"
)

// TestEndUserView pins getConnection()'s end_user: the same JSON, member
// for member and in the same order, as functions have always seen.
func TestEndUserView(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		view *endUserView
		want string
	}{
		{&endUserView{ID: "u"}, `{"id":"u"}`},
		{&endUserView{ID: "u", Email: "e@x", DisplayName: "D", Tags: map[string]string{"a": "b"}, Organization: &organizationView{ID: "o", DisplayName: "O"}},
			`{"id":"u","email":"e@x","display_name":"D","tags":{"a":"b"},"organization":{"id":"o","display_name":"O"}}`},
		{&endUserView{ID: "u", Tags: map[string]string{}, Organization: &organizationView{ID: "o"}}, `{"id":"u","organization":{"id":"o"}}`},
	} {
		b, err := json.Marshal(tc.view)
		if err != nil || string(b) != tc.want {
			t.Errorf("end_user = %s, %v; want %s", b, err, tc.want)
		}
	}
}
