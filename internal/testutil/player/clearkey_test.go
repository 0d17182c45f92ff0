package player

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPlayDASHClearKey: Shaka plays CENC content with the right key, given
// either in the page or by a ClearKey license server, and does not play it
// with a wrong key, a key for another KID, or a license server that says no.
func TestPlayDASHClearKey(t *testing.T) {
	const kidHex, keyHex = "0123456789abcdef0123456789abcdef", "00112233445566778899aabbccddeeff"
	const other = "ffeeddccbbaa99887766554433221100"
	kid, _ := hex.DecodeString(kidHex)
	key, _ := hex.DecodeString(keyHex)
	dir := dashVOD(t)
	encryptDASH(t, dir, kid, key)
	protectMPD(t, filepath.Join(dir, "manifest.mpd"), filepath.Join(dir, "protected.mpd"), kidHex)
	media := serveDir(t, dir)

	// The license server answers the W3C ClearKey request
	// ({"kids":[...],"type":"temporary"}) with a JSON Web Key Set.
	type request struct {
		Kids []string `json:"kids"`
		Type string   `json:"type"`
	}
	var mu sync.Mutex
	var requests []request
	b64 := base64.RawURLEncoding.EncodeToString
	license := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Headers", "*")
		if r.Method == http.MethodOptions {
			return
		}
		if r.URL.Path == "/deny" {
			http.Error(w, "not this viewer", http.StatusForbidden)
			return
		}
		var req request
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &req); err != nil {
			t.Errorf("the license request %q: %v", body, err)
		}
		mu.Lock()
		requests = append(requests, req)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"keys":[{"kty":"oct","kid":"`+b64(kid)+`","k":"`+b64(key)+`"}],"type":"temporary"}`)
	}))
	defer license.Close()

	plain, protected := media.URL+"/manifest.mpd", media.URL+"/protected.mpd"
	res := StartDASH(t,
		DASH{URL: plain, ClearKeys: map[string]string{kidHex: keyHex}},
		DASH{URL: plain, ClearKeys: map[string]string{kidHex: other}},
		DASH{URL: protected, LicenseURL: license.URL + "/license"},
		DASH{URL: protected, LicenseURL: license.URL + "/deny"},
	).PlayFor(Options{Seconds: 2, Timeout: 30 * time.Second})
	if r := res[0]; r.Played < 2 || r.Frames == 0 || len(r.Errors) > 0 {
		t.Errorf("with the key: %s", r)
	}
	if r := res[1]; r.Played > 0 || len(r.Errors) == 0 {
		t.Errorf("with a wrong key: %s", r)
	}
	if r := res[2]; r.Played < 2 || r.Frames == 0 || len(r.Errors) > 0 {
		t.Errorf("with the license server: %s", r)
	}
	if r := res[3]; r.Played > 0 || len(r.Errors) == 0 || !strings.HasPrefix(r.Errors[0], "code 6007 LICENSE_REQUEST_FAILED") || !strings.Contains(r.Errors[0], "BAD_HTTP_STATUS: category 1 NETWORK, data [\"http://") || !strings.Contains(r.Errors[0], ", 403, ") {
		t.Errorf("with a license server that says 403: %s", r)
	}
	mu.Lock()
	if len(requests) != 1 || len(requests[0].Kids) != 1 || requests[0].Kids[0] != b64(kid) || requests[0].Type != "temporary" {
		t.Errorf("the license server saw %+v, want one request for kid %s", requests, b64(kid))
	}
	mu.Unlock()

	// A key for another KID raises no error: the CDM waits for the right
	// one, and nothing plays while the others would have played it.
	r := StartDASH(t, DASH{URL: plain, ClearKeys: map[string]string{other: keyHex}}).PlayFor(Options{Seconds: 2, Timeout: 5 * time.Second})[0]
	if r.Played > 0 || r.Frames > 0 {
		t.Errorf("with a key for another KID: %s", r)
	}
}

// protectMPD writes to out the MPD in, saying that its content is CENC with
// the given key ID (hex) and that ClearKey may decrypt it. Shaka makes the
// ClearKey init data (a pssh of the W3C common system with the KID) from
// cenc:default_KID; without it, and with no pssh in the init segments, it
// never asks the license server.
func protectMPD(t *testing.T, in, out, kid string) {
	t.Helper()
	mpd, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	uuid := kid[:8] + "-" + kid[8:12] + "-" + kid[12:16] + "-" + kid[16:20] + "-" + kid[20:]
	protection := `<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc" cenc:default_KID="` + uuid + `"/>` +
		`<ContentProtection schemeIdUri="urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e" value="ClearKey1.0"/>`
	s := strings.Replace(string(mpd), `xmlns="urn:mpeg:dash:schema:mpd:2011"`, `xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:cenc="urn:mpeg:cenc:2013"`, 1)
	s = strings.ReplaceAll(s, "<Representation ", protection+"<Representation ")
	if strings.Count(s, "cenc:default_KID") != 2 || !strings.Contains(s, "xmlns:cenc") {
		t.Fatalf("the MPD has not the two representations expected: %s", s)
	}
	if err := os.WriteFile(out, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
