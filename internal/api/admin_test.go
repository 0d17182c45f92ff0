package api_test

import (
	"net/http"

	"onair/internal/testutil/e2e"
)

// adminKey is the API key of the "default" organization's server admin in tests.
const adminKey = e2e.AdminKey

// seedAdmin makes the "default" organization and its admin key, once per store.
var seedAdmin = e2e.SeedAdmin

// asAdmin sends every request that carries no credentials with the admin key:
// for the tests that are about what the API does, not who may do it.
func asAdmin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") == "" && r.Header.Get("Authorization") == "" {
			r.Header.Set("x-api-key", adminKey)
		}
		h.ServeHTTP(w, r)
	})
}
