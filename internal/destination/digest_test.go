package destination

import (
	"net/http"
	"strings"
	"testing"
)

// TestDigestAnswer: the answer to RFC 7616's MD5 example (section 3.9.1)
// has the response the RFC gives, for the RFC's cnonce and nonce count.
func TestDigestAnswer(t *testing.T) {
	c, err := parseChallenge(`realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`)
	if err != nil {
		t.Fatal(err)
	}
	h := c.answer("Mufasa", "Circle of Life", "GET", "/dir/index.html", 1, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
	for _, want := range []string{`response="8ca523f5e9506fed4657c9700eebdbec"`, `username="Mufasa"`, `realm="http-auth@example.org"`, `uri="/dir/index.html"`, `qop=auth`, `nc=00000001`, `algorithm=MD5`, `opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`} {
		if !strings.Contains(h, want) {
			t.Errorf("answer %s lacks %s", h, want)
		}
	}
}

// TestChallenged: a first challenge and a stale nonce are worth a retry; a
// fresh challenge after an answer means the credentials are wrong.
func TestChallenged(t *testing.T) {
	header := func(v string) http.Header { return http.Header{"Www-Authenticate": {v}} }
	a := &httpAuth{user: "u", password: "p"}
	r, _ := http.NewRequest("PUT", "http://h/a/b.ts", nil)
	if used := a.authorize(r); used != "" || r.Header.Get("Authorization") != "" {
		t.Fatalf("answered %q before any challenge", used)
	}
	if !a.challenged(header(`Digest realm="r", nonce="n1", qop="auth"`), "") {
		t.Fatal("a first challenge is not retried")
	}
	if used := a.authorize(r); used != "n1" || !strings.HasPrefix(r.Header.Get("Authorization"), "Digest ") || !strings.Contains(r.Header.Get("Authorization"), "nc=00000001") {
		t.Fatalf("answered %q: Authorization %q", used, r.Header.Get("Authorization"))
	}
	a.authorize(r)
	if !strings.Contains(r.Header.Get("Authorization"), "nc=00000002") {
		t.Fatalf("the nonce count does not go on: %q", r.Header.Get("Authorization"))
	}
	if !a.challenged(header(`Digest realm="r", nonce="n2", qop="auth", stale=true`), "n1") {
		t.Error("a stale nonce is not retried")
	}
	if !a.challenged(header(`Digest realm="r", nonce="n3", qop="auth"`), "n1") {
		t.Error("a request answered with an older nonce than the latest is not retried")
	}
	if a.challenged(header(`Digest realm="r", nonce="n4", qop="auth"`), "n2") {
		t.Error("a refused answer is retried")
	}
	b := &httpAuth{user: "u", password: "p"}
	if !b.challenged(header(`Basic realm="r"`), "") || b.challenged(header(`Basic realm="r"`), "basic") {
		t.Error("Basic: the first challenge is retried, the second is not")
	}
}

func TestParseChallenge(t *testing.T) {
	for _, bad := range []string{``, `realm="r"`, `nonce="n", algorithm=SHA-256`, `nonce="n", qop="auth-int"`, `nonce="n`, `nonce="n" realm="r"`, `nonce`} {
		if c, err := parseChallenge(bad); err == nil {
			t.Errorf("parseChallenge(%q) = %+v, want an error", bad, c)
		}
	}
	c, err := parseChallenge(`nonce="a\"b", realm=bare, stale=TRUE`)
	if err != nil || c.nonce != `a"b` || c.realm != "bare" || !c.stale || c.qop != "" {
		t.Errorf("%+v %v", c, err)
	}
}

// FuzzParseChallenge: a WWW-Authenticate header from the network never
// panics the parser, and what it accepts has a nonce.
func FuzzParseChallenge(f *testing.F) {
	for _, s := range []string{`realm="r", nonce="n", qop="auth", algorithm=MD5-sess, opaque="o"`, `nonce="a\"b", stale=true`, `nonce=x,,`, `="`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseChallenge(s)
		if err == nil && c.nonce == "" {
			t.Fatalf("accepted %q without a nonce", s)
		}
	})
}
