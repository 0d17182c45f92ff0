package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
}

// newClient checks the server URL: a bare host:port is taken as http.
func newClient(server, apiKey string) (*client, error) {
	if !strings.Contains(server, "://") {
		server = "http://" + server
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server must be an http:// or https:// URL such as %s, got %q", defaultServer, server)
	}
	return &client{
		base:   strings.TrimRight(u.String(), "/"),
		apiKey: apiKey,
		hc:     &http.Client{Timeout: requestTimeout},
	}, nil
}

// apiError is an error answer of the API: its status and the JSON body the API
// documents for every error.
type apiError struct {
	status string // "404 Not Found"
	body   api.ErrorBody
}

func (e *apiError) Error() string { return e.status + ": " + e.body.Message }

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

// do sends one request and returns the answer's body when its status is 2xx.
// in, when not nil, is sent as the JSON body.
func (c *client) do(ctx context.Context, method, path string, query url.Values, in []byte) ([]byte, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		body = bytes.NewReader(in)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "onair/"+server.Version)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.apiKey != "" {
		req.Header.Set("x-api-key", c.apiKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, &connError{server: c.base, err: transportCause(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, &connError{server: c.base, err: transportCause(err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, decodeError(resp, raw)
	}
	return raw, nil
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
func decodeError(resp *http.Response, raw []byte) error {
	e := &apiError{status: resp.Status}
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
	raw, err := s.api.get(ctx, pathID(prefix, args[0]), nil, out)
	if err != nil {
		return true, err
	}
	if s.json {
		return true, printJSON(s.stdout, raw)
	}
	return false, nil
}
