package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

const (
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	base62     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

	// APIKeyIDLen and APIKeyValueLen are the lengths of an API key's id and
	// value, as in the IOIO guide's {"id":"e2awx7tw1m","value":"5ykihj6Kt9dDXcuzptZm7WMFYrbrgLN2qwKYeeA8"}.
	// 40 base62 characters carry 40·log2(62) ≈ 238 bits.
	APIKeyIDLen    = 10
	APIKeyValueLen = 40

	refreshTokenBytes = 32 // 256 bits, 43 base64url characters
	signingKeyBytes   = 32 // HS256's own output size
)

// NewAPIKey returns a new API key: an id of lower-case letters and digits that
// names it in the API, and a base62 value that the client presents and that
// is shown only once. Store HashSecret(value), never the value.
func NewAPIKey() (id, value string) {
	return randomString(lowerAlnum, APIKeyIDLen), randomString(base62, APIKeyValueLen)
}

// HashSecret returns the hex SHA-256 of a presented secret (an API key value,
// a refresh token, a stream key): what the store keeps and looks it up by.
// A fast hash is enough here, unlike for passwords, because these secrets are
// random with over 230 bits and cannot be guessed from a dictionary.
func HashSecret(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// NewRefreshToken returns a new random refresh token, 256 bits in base64url.
func NewRefreshToken() string {
	b := make([]byte, refreshTokenBytes)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewSigningKey returns a new random idToken signing key, for the server to
// create once and keep in its store.
func NewSigningKey() ([]byte, error) {
	b := make([]byte, signingKeyBytes)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, nil
}

// randomString returns n characters drawn uniformly from alphabet (at most 256
// characters) with crypto/rand. Bytes at or above the largest multiple of the
// alphabet's size are thrown away so that no character is likelier than another.
func randomString(alphabet string, n int) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit {
				out = append(out, alphabet[int(b)%len(alphabet)])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}
