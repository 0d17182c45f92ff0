package playout

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"onair/internal/cmafx"
	"onair/internal/domain"
)

// Keys. A THIRDPARTY profile gives its keys. For a VUALTO profile onair is
// the key provider: each event gets its own content key, made on first use
// and kept in the store's secrets sealed (AES-256-GCM) with a
// key-encryption key that lives apart from the store, in the data
// directory. Players get it from the ClearKey license endpoint, with a
// short-lived playback token that names the event.

// Secrets is the store's server secrets: a value made once under a name.
type Secrets interface {
	Secret(ctx context.Context, name string, create func() ([]byte, error)) ([]byte, error)
}

// LicensePath is where the ClearKey license endpoint is.
const LicensePath = domain.PlayoutRoot + "/clearkey"

// DefaultTokenTTL is how long a playback token lets a player fetch keys.
const DefaultTokenTTL = 15 * time.Minute

// kekFile is the key-encryption key's file in the data directory.
const kekFile = "playout.kek"

// eventKeys holds the content keys unsealed so far.
type eventKeys struct {
	mu       sync.Mutex
	keys     map[string]cmafx.Key
	provided map[string][]byte // by content id and key id
	kek      []byte
	mac      []byte
}

// contentKey is the key that encrypts what a drm_data entry protects.
func (s *Service) contentKey(ctx context.Context, v *view, e domain.DRMEntry) (cmafx.Key, error) {
	if v.config.DRM.Provider == domain.DRMVualto {
		return s.eventKey(ctx, v.manifest.WorkflowID)
	}
	var k cmafx.Key
	kid, err1 := domain.KeyBytes(e.KeyID, 16)
	iv, err2 := domain.KeyBytes(e.KeyIV, 8, 16)
	if err := errors.Join(err1, err2); err != nil {
		return k, fmt.Errorf("drm_data %s: %w", e.Name, err)
	}
	key, err := domain.KeyBytes(e.Key, 16)
	if e.Key == "" && e.ContentID != "" {
		key, err = s.providedKey(ctx, e.ContentID, kid)
	}
	if err != nil {
		return k, fmt.Errorf("drm_data %s key: %w", e.Name, err)
	}
	copy(k.KID[:], kid)
	copy(k.IV[:], iv)
	copy(k.Key[:], key)
	return k, nil
}

// providedKey asks the configured key provider for the key of a content
// id and key id, once: what it answers is kept.
func (s *Service) providedKey(ctx context.Context, contentID string, kid []byte) ([]byte, error) {
	if s.cfg.KeyProvider == "" {
		return nil, errors.New("no key provider is configured (--playout-key-provider) to resolve content_id " + contentID)
	}
	name := contentID + "/" + hex.EncodeToString(kid)
	s.keys.mu.Lock()
	k, ok := s.keys.provided[name]
	s.keys.mu.Unlock()
	if ok {
		return k, nil
	}
	q := url.Values{"content_id": {contentID}, "key_id": {hex.EncodeToString(kid)}}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.KeyProvider+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the key provider: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Key string `json:"key"`
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the key provider answered %s for content_id %s", resp.Status, contentID)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body); err != nil {
		return nil, fmt.Errorf("the key provider's answer for content_id %s: %w", contentID, err)
	}
	k, err = domain.KeyBytes(body.Key, 16)
	if err != nil {
		return nil, fmt.Errorf("the key provider's key for content_id %s %w", contentID, err)
	}
	s.keys.mu.Lock()
	if s.keys.provided == nil {
		s.keys.provided = map[string][]byte{}
	}
	s.keys.provided[name] = k
	s.keys.mu.Unlock()
	return k, nil
}

// eventKey is an event's own content key, made on first use.
func (s *Service) eventKey(ctx context.Context, workflowID string) (cmafx.Key, error) {
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	if k, ok := s.keys.keys[workflowID]; ok {
		return k, nil
	}
	kek, err := s.kek()
	if err != nil {
		return cmafx.Key{}, err
	}
	gcm, err := newGCM(kek)
	if err != nil {
		return cmafx.Key{}, err
	}
	sealed, err := s.cfg.Secrets.Secret(ctx, "playout-key/"+workflowID, func() ([]byte, error) {
		raw := make([]byte, 48) // key id, key, IV
		nonce := make([]byte, gcm.NonceSize())
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		return gcm.Seal(nonce, nonce, raw, []byte(workflowID)), nil
	})
	if err != nil {
		return cmafx.Key{}, err
	}
	n := gcm.NonceSize()
	if len(sealed) < n {
		return cmafx.Key{}, errors.New("playout: a sealed content key is too short")
	}
	raw, err := gcm.Open(nil, sealed[:n], sealed[n:], []byte(workflowID))
	if err != nil || len(raw) != 48 {
		return cmafx.Key{}, fmt.Errorf("playout: the content key of event %s does not open with %s: %v", workflowID, kekFile, err)
	}
	var k cmafx.Key
	copy(k.KID[:], raw[:16])
	copy(k.Key[:], raw[16:32])
	copy(k.IV[:], raw[32:])
	if s.keys.keys == nil {
		s.keys.keys = map[string]cmafx.Key{}
	}
	s.keys.keys[workflowID] = k
	return k, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// kek reads the key-encryption key, making it on first use; s.keys.mu is held.
func (s *Service) kek() ([]byte, error) {
	if s.keys.kek != nil {
		return s.keys.kek, nil
	}
	file := filepath.Join(s.cfg.DataDir, kekFile)
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		b = make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		// Written whole, then linked into place: a crash leaves no short
		// file, and of two processes making it at once one key wins.
		tmp, err := os.CreateTemp(s.cfg.DataDir, kekFile+".*")
		if err != nil {
			return nil, fmt.Errorf("playout: making %s: %w", file, err)
		}
		defer os.Remove(tmp.Name())
		_, err = tmp.Write(b)
		if err := errors.Join(err, tmp.Sync(), tmp.Close(), os.Chmod(tmp.Name(), 0o600)); err != nil {
			return nil, fmt.Errorf("playout: making %s: %w", file, err)
		}
		if err := os.Link(tmp.Name(), file); errors.Is(err, os.ErrExist) {
			return s.kek() // another process made it first
		} else if err != nil {
			return nil, fmt.Errorf("playout: making %s: %w", file, err)
		}
	} else if err != nil {
		return nil, err
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("playout: %s holds %d bytes, not 32", file, len(b))
	}
	s.keys.kek = b
	return b, nil
}

// macKey signs playback tokens. It is derived from the key-encryption key,
// so that the store alone (a dump of it) can neither open the content keys
// nor make the tokens that fetch them.
func (s *Service) macKey(context.Context) ([]byte, error) {
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	kek, err := s.kek()
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, kek)
	m.Write([]byte("onair playout playback tokens"))
	return m.Sum(nil), nil
}

// Token is a playback token for an event's keys, and when it expires.
func (s *Service) Token(ctx context.Context, workflowID string) (string, time.Time, error) {
	key, err := s.macKey(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	exp := s.cfg.Now().Add(s.cfg.TokenTTL).Truncate(time.Second)
	body := base64.RawURLEncoding.EncodeToString([]byte(workflowID + "." + strconv.FormatInt(exp.Unix(), 10)))
	return body + "." + sign(key, body), exp, nil
}

func sign(key []byte, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// tokenError refuses a playback token (403); other errors of checkToken
// are the server's.
type tokenError string

func (e tokenError) Error() string { return string(e) }

// checkToken returns the event a playback token is for.
func (s *Service) checkToken(ctx context.Context, token string) (string, error) {
	body, mac, ok := strings.Cut(token, ".")
	if !ok {
		return "", tokenError("the token is malformed")
	}
	key, err := s.macKey(ctx)
	if err != nil {
		return "", err
	}
	if !hmac.Equal([]byte(sign(key, body)), []byte(mac)) {
		return "", tokenError("the token is not this server's")
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return "", tokenError("the token is malformed")
	}
	wf, expText, _ := strings.Cut(string(raw), ".")
	exp, err := strconv.ParseInt(expText, 10, 64)
	if err != nil {
		return "", tokenError("the token is malformed")
	}
	if s.cfg.Now().Unix() > exp {
		return "", tokenError("the token has expired")
	}
	return wf, nil
}

// LicenseURL is the ClearKey license endpoint with a playback token.
func (s *Service) LicenseURL(token string) string {
	return s.cfg.PublicURL + LicensePath + "?token=" + url.QueryEscape(token)
}

// licenseURL is what an MPD names as its license server: the endpoint with
// the token that the MPD was asked for with, when onair holds the key.
func (s *Service) licenseURL(v *view, token string) string {
	if v.config.DRM == nil || v.config.DRM.Provider != domain.DRMVualto {
		return ""
	}
	if token == "" {
		return s.cfg.PublicURL + LicensePath
	}
	return s.LicenseURL(token)
}

// licenseRequest is the W3C ClearKey license request.
type licenseRequest struct {
	KIDs []string `json:"kids"`
	Type string   `json:"type"`
}

type jwk struct {
	Kty string `json:"kty"`
	KID string `json:"kid"`
	K   string `json:"k"`
}

// ServeLicense answers W3C ClearKey license requests (EME's JSON Web Key
// Set) for the keys of the event the token names.
func (s *Service) ServeLicense(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "no-store")
	fail := func(status int, msg string) {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"message": msg})
	}
	switch r.Method {
	case http.MethodOptions:
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type")
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		h.Set("Allow", "POST, OPTIONS")
		fail(http.StatusMethodNotAllowed, "a license request is a POST")
		return
	}
	token := r.URL.Query().Get("token")
	if token == "" {
		fail(http.StatusUnauthorized, "a playback token is required: ?token=, from the event's licenseUrl")
		return
	}
	wf, err := s.checkToken(r.Context(), token)
	var refused tokenError
	switch {
	case errors.As(err, &refused):
		fail(http.StatusForbidden, err.Error())
		return
	case err != nil:
		id := rand.Text()[:10]
		s.cfg.Log.Error("playout: license", "err", err, "error_id", id)
		fail(http.StatusInternalServerError, "the token could not be checked; the server log has the details under error_id="+id)
		return
	}
	var req licenseRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || len(req.KIDs) == 0 {
		fail(http.StatusBadRequest, "the body must be a ClearKey license request: {\"kids\": [...], \"type\": \"temporary\"}")
		return
	}
	k, err := s.eventKey(r.Context(), wf)
	if err != nil {
		s.cfg.Log.Warn("playout: license", "workflow", wf, "err", err)
		fail(http.StatusInternalServerError, "the key could not be read")
		return
	}
	kid := base64.RawURLEncoding.EncodeToString(k.KID[:])
	out := struct {
		Keys []jwk  `json:"keys"`
		Type string `json:"type"`
	}{Keys: []jwk{}, Type: "temporary"}
	for _, want := range req.KIDs {
		if strings.TrimRight(want, "=") == kid {
			out.Keys = append(out.Keys, jwk{Kty: "oct", KID: kid, K: base64.RawURLEncoding.EncodeToString(k.Key[:])})
		}
	}
	if len(out.Keys) == 0 {
		fail(http.StatusForbidden, "none of the key ids asked for is this event's")
		return
	}
	h.Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}
