package destination

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// httpAuth answers an HTTP destination's challenges with its credentials:
// Basic, or Digest (RFC 7616: MD5 or MD5-sess, qop=auth), the scheme
// Akamai's MSL4 ingest asks for. A Digest challenge is kept and answered
// again on the next requests with a counted nonce, so that a persistent
// connection does not take two round trips per upload; a stale nonce or a
// new challenge replaces it.
type httpAuth struct {
	user, password string

	mu     sync.Mutex
	basic  bool
	digest *challenge
	nc     uint32
}

// challenge is a parsed WWW-Authenticate: Digest header.
type challenge struct {
	realm, nonce, opaque, algorithm, qop string
	stale                                bool
}

// authorize sets the request's Authorization from the latest challenge, if
// any, and returns what it answered: the Digest nonce, "basic", or "" (no
// challenge yet).
func (a *httpAuth) authorize(r *http.Request) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.digest != nil:
		a.nc++
		r.Header.Set("Authorization", a.digest.answer(a.user, a.password, r.Method, r.URL.RequestURI(), a.nc, newCnonce()))
		return a.digest.nonce
	case a.basic:
		r.SetBasicAuth(a.user, a.password)
		return "basic"
	}
	return ""
}

// challenged takes the WWW-Authenticate headers of a 401 to a request that
// authorize answered with used, and reports whether the request is worth
// sending again: it went without an answer, its nonce was stale, or
// another request got a newer challenge meanwhile. An answer refused
// otherwise means the credentials are wrong.
func (a *httpAuth) challenged(h http.Header, used string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, v := range h.Values("WWW-Authenticate") {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
		switch strings.ToLower(scheme) {
		case "digest":
			c, err := parseChallenge(rest)
			if err != nil {
				continue
			}
			if a.digest != nil && used != "" && a.digest.nonce != used && !c.stale {
				return true // answered with an older nonce; the newer one stands
			}
			a.digest, a.nc = c, 0
			return used == "" || used == "basic" || c.stale
		case "basic":
			a.basic = true
			return used == ""
		}
	}
	return false
}

// answer is the Authorization header for one request.
func (c *challenge) answer(user, password, method, uri string, nc uint32, cnonce string) string {
	ha1 := md5hex(user + ":" + c.realm + ":" + password)
	if strings.EqualFold(c.algorithm, "MD5-sess") {
		ha1 = md5hex(ha1 + ":" + c.nonce + ":" + cnonce)
	}
	ha2 := md5hex(method + ":" + uri)
	count := fmt.Sprintf("%08x", nc)
	var b strings.Builder
	fmt.Fprintf(&b, `Digest username=%q, realm=%q, nonce=%q, uri=%q`, user, c.realm, c.nonce, uri)
	if c.qop != "" {
		resp := md5hex(ha1 + ":" + c.nonce + ":" + count + ":" + cnonce + ":auth:" + ha2)
		fmt.Fprintf(&b, `, qop=auth, nc=%s, cnonce=%q, response=%q`, count, cnonce, resp)
	} else {
		fmt.Fprintf(&b, `, response=%q`, md5hex(ha1+":"+c.nonce+":"+ha2))
	}
	if c.algorithm != "" {
		fmt.Fprintf(&b, `, algorithm=%s`, c.algorithm)
	}
	if c.opaque != "" {
		fmt.Fprintf(&b, `, opaque=%q`, c.opaque)
	}
	return b.String()
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func newCnonce() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// parseChallenge reads a Digest challenge's parameters (RFC 7616 3.3):
// comma-separated name=value pairs, values quoted or bare. It takes qop=auth
// only, and MD5 or MD5-sess.
func parseChallenge(s string) (*challenge, error) {
	params := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; {
		name, rest, ok := strings.Cut(s, "=")
		if !ok {
			return nil, errors.New("digest challenge: a parameter without a value")
		}
		name = strings.ToLower(strings.TrimSpace(name))
		rest = strings.TrimLeft(rest, " \t")
		var value string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			if i >= len(rest) {
				return nil, errors.New("digest challenge: an unterminated quoted value")
			}
			value, rest = b.String(), rest[i+1:]
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			value, rest = strings.TrimSpace(rest[:end]), rest[end:]
		}
		params[name] = value
		rest = strings.TrimLeft(rest, " \t")
		if rest != "" && rest[0] != ',' {
			return nil, errors.New("digest challenge: parameters not separated by commas")
		}
		s = strings.TrimLeft(strings.TrimPrefix(rest, ","), " \t")
	}
	c := &challenge{realm: params["realm"], nonce: params["nonce"], opaque: params["opaque"], algorithm: params["algorithm"],
		stale: strings.EqualFold(params["stale"], "true")}
	if c.nonce == "" {
		return nil, errors.New("digest challenge: no nonce")
	}
	if c.algorithm != "" && !strings.EqualFold(c.algorithm, "MD5") && !strings.EqualFold(c.algorithm, "MD5-sess") {
		return nil, fmt.Errorf("digest challenge: algorithm %s is not supported (MD5 and MD5-sess are)", c.algorithm)
	}
	if q, ok := params["qop"]; ok {
		for _, o := range strings.Split(q, ",") {
			if strings.TrimSpace(o) == "auth" {
				c.qop = "auth"
			}
		}
		if c.qop == "" {
			return nil, fmt.Errorf("digest challenge: qop %q offers no auth", q)
		}
	}
	return c, nil
}
