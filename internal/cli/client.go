package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"onair/internal/api"
	"onair/internal/server"
)

const (
	// requestTimeout bounds each API call, so that a server that accepts the
	// connection and then never answers does not hang the command.
	requestTimeout = 30 * time.Second
	// maxResponse bounds what the client reads of an answer; the largest (a page
	// of 500 channel runs) is far smaller.
	maxResponse = 32 << 20
)

// client calls the onair API.
type client struct {
	base   string // scheme://host[:port][/prefix], without a trailing slash
	apiKey string
	hc     *http.Client
	login  *login // nil when the client sends an API key, or nothing
	// otherLogin is the server of a login kept for another server than base,
	// which a refused request mentions.
	otherLogin string
}

// newClient checks the server URL: a bare host:port is taken as http.
func newClient(server, apiKey string) (*client, error) {
	base, err := normalizeServer(server)
	if err != nil {
		return nil, err
	}
	return &client{base: base, apiKey: apiKey, hc: &http.Client{Timeout: requestTimeout, CheckRedirect: keepKeyHome}}, nil
}

// normalizeServer checks a server URL and returns it the way the client and
// the login file write it.
func normalizeServer(server string) (string, error) {
	if !strings.Contains(server, "://") {
		server = "http://" + server
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--server must be an http:// or https:// URL such as %s, got %q", defaultServer, server)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// apiError is an error answer of the API: its status and the JSON body the API
// documents for every error, with what the user can do about it when the
// client knows better than the server.
type apiError struct {
	status string // "404 Not Found"
	code   int
	body   api.ErrorBody
	hint   string
}

func (e *apiError) Error() string {
	if e.hint != "" {
		return e.status + ": " + e.body.Message + "\n  " + e.hint
	}
	return e.status + ": " + e.body.Message
}

// connError is a request that got no answer at all.
type connError struct {
	server string
	err    error
}

func (e *connError) Error() string {
	return fmt.Sprintf("cannot reach the onair server at %s: %v\n"+
		"  Is it running? Start one with \"onair serve\", or point at another with --server URL (or ONAIR_SERVER).",
		e.server, e.err)
}

func (e *connError) Unwrap() error { return e.err }

// do sends one request with the client's credentials and returns the answer's
// body when its status is 2xx. in, when not nil, is sent as the JSON body. With
// a login, an idToken that has expired, or that the server refuses, is
// refreshed once and the request sent again.
func (c *client) do(ctx context.Context, method, path string, query url.Values, in []byte) ([]byte, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var (
		token     string
		refreshed bool
	)
	if c.login != nil {
		var err error
		if token, refreshed, err = c.login.token(ctx, c); err != nil {
			return nil, err
		}
	}
	auth := func(req *http.Request) {
		switch {
		case c.apiKey != "":
			req.Header.Set("x-api-key", c.apiKey)
		case token != "":
			req.Header.Set("Authorization", "Bearer "+token)
		}
	}
	resp, raw, err := c.roundTrip(ctx, method, u, in, auth)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && token != "" && !refreshed {
		// The server may have restarted with another signing key, or its clock
		// may run ahead of ours: a new idToken settles both.
		if token, err = c.login.refresh(ctx, c, token); err != nil {
			return nil, err
		}
		resp, raw, err = c.roundTrip(ctx, method, u, in, auth)
	}
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := decodeError(resp, raw)
		if resp.StatusCode == http.StatusUnauthorized && c.apiKey == "" {
			e.hint = c.loginHint()
		}
		return nil, e
	}
	return raw, nil
}

// loginHint tells a user whose request was refused for want of credentials
// how to give some.
func (c *client) loginHint() string {
	switch {
	case c.login != nil:
		return "Your login no longer works: run \"onair login --email EMAIL\" again, or pass --api-key (env ONAIR_API_KEY)."
	case c.otherLogin != "":
		return fmt.Sprintf("You are logged in to %s, not %s: run \"onair login --email EMAIL --server %s\", or pass --api-key (env ONAIR_API_KEY).",
			c.otherLogin, c.base, c.base)
	}
	return "Run \"onair login --email EMAIL\" or pass --api-key KEY (env ONAIR_API_KEY)."
}

// public sends in to one of the routes that need no credentials (logging in,
// refreshing) and decodes the 2xx answer into out.
func (c *client) public(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	resp, raw, err := c.roundTrip(ctx, http.MethodPost, c.base+path, body, func(*http.Request) {})
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeError(resp, raw)
	}
	return c.decode(path, raw, out)
}

// roundTrip sends one request, with the headers that setAuth adds, and reads
// the answer whatever its status.
func (c *client) roundTrip(ctx context.Context, method, u string, in []byte, setAuth func(*http.Request)) (*http.Response, []byte, error) {
	var body io.Reader
	if in != nil {
		body = bytes.NewReader(in)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "onair/"+server.Version)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	setAuth(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, &connError{server: c.base, err: transportCause(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, nil, &connError{server: c.base, err: transportCause(err)}
	}
	return resp, raw, nil
}

// transportCause drops net/url's "Get \"http://...\":" prefix, which repeats the
// URL that connError already names, and says what a timeout means.
func transportCause(err error) error {
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("no answer within %s", requestTimeout)
		}
		return ue.Err
	}
	return err
}

// decodeError turns an error answer into an *apiError. A body that is not the
// API's error JSON (a proxy's HTML page, say) still gives the status and its start.
func decodeError(resp *http.Response, raw []byte) *apiError {
	e := &apiError{status: resp.Status, code: resp.StatusCode}
	if err := json.Unmarshal(raw, &e.body); err != nil || e.body.Message == "" {
		text := strings.TrimSpace(string(raw))
		if len(text) > 200 {
			text = text[:200] + "…"
		}
		if text == "" || strings.HasPrefix(text, "<") {
			text = "the server answered without a message (is --server an onair server?)"
		}
		e.body = api.ErrorBody{Message: text}
	}
	return e
}

// get fetches path and decodes the answer into out; it returns the raw answer
// too, for -o json.
func (c *client) get(ctx context.Context, path string, query url.Values, out any) ([]byte, error) {
	raw, err := c.do(ctx, http.MethodGet, path, query, nil)
	if err != nil {
		return nil, err
	}
	return raw, c.decode(path, raw, out)
}

// send sends in as JSON (already encoded when it is a []byte; no body when nil)
// and decodes the answer into out unless out is nil.
func (c *client) send(ctx context.Context, method, path string, in, out any) ([]byte, error) {
	body, ok := in.([]byte)
	if !ok && in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, err
		}
	}
	raw, err := c.do(ctx, method, path, nil, body)
	if err != nil || out == nil {
		return raw, err
	}
	return raw, c.decode(path, raw, out)
}

func (c *client) decode(path string, raw []byte, out any) error {
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("the answer of %s%s is not what this onair client expects (%v); is --server an onair server of the same version?", c.base, path, err)
	}
	return nil
}

// pathID escapes an id for use as one path segment.
func pathID(prefix, id string) string { return prefix + "/" + url.PathEscape(id) }

// getOne fetches the object that a `get <id>` command names into out. With -o
// json it prints the server's answer itself and reports done; otherwise the
// caller renders out.
func getOne(ctx context.Context, s *session, args []string, prefix, name string, out any) (done bool, err error) {
	if err := exactArgs(args, name); err != nil {
		return true, err
	}
	return getList(ctx, s, pathID(prefix, args[0]), nil, out)
}

// keepKeyHome follows a redirect, but never takes the API key to another host
// (Go already drops Authorization there, not custom headers).
func keepKeyHome(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		req.Header.Del("x-api-key")
	}
	return nil
}

// getList fetches path (one page of a list, or one object) into out. With -o
// json it prints the server's answer itself and reports done.
func getList(ctx context.Context, s *session, path string, q url.Values, out any) (done bool, err error) {
	raw, err := s.api.get(ctx, path, q, out)
	if err != nil {
		return true, err
	}
	if s.json {
		return true, printJSON(s.stdout, raw)
	}
	return false, nil
}

// paging is a list command's --limit and --next flags.
type paging struct {
	limit *int
	next  *string
}

func pagingFlags(fs *flag.FlagSet) paging {
	return paging{
		limit: fs.Int("limit", 0, "page size, 1-500 (the server's default when 0)"),
		next:  fs.String("next", "", "the cursor that the previous page printed"),
	}
}

// set adds the flags that were given to a query.
func (p paging) set(q url.Values) {
	if *p.limit != 0 {
		q.Set("limit", strconv.Itoa(*p.limit))
	}
	setQuery(q, "next", *p.next)
}
