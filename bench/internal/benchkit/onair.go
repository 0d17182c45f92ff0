// Package benchkit is what the benchmark programs under bench/ share: a real
// onair server started from its binary and a small client of its public API,
// the process tree of a server read from /proc, live playlists read from
// disk, and the figures printed from all that. It uses only what a user has
// (the binary, the API, the files onair writes), so that a benchmark built on
// it measures whatever onair is on main when it runs, with no change.
package benchkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"onair/internal/testutil/localnet"
)

// AdminKey is the admin API key every benchmarked server is started with.
const AdminKey = "onairbench-admin-key-0123456789"

// Server is an `onair serve` started for a benchmark, on free loopback ports
// and a data directory of its own.
type Server struct {
	Data     string // the data directory: live/ and archive/ are under it
	HTTPAddr string
	RTMPAddr string
	Client   Client
	cmd      *exec.Cmd
}

// StartServer starts bin as `onair serve` with its data under dir and waits
// until it answers /healthz.
func StartServer(bin, dir string) (*Server, error) { return StartServerWith(bin, dir) }

// StartServerWith is StartServer with more flags for onair serve.
func StartServerWith(bin, dir string, flags ...string) (*Server, error) {
	httpAddr, err := localnet.FreeAddr()
	if err != nil {
		return nil, err
	}
	rtmpAddr, err := localnet.FreeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{Data: filepath.Join(dir, "data"), HTTPAddr: httpAddr, RTMPAddr: rtmpAddr}
	args := []string{"serve", "--data", s.Data, "--http", s.HTTPAddr, "--rtmp", s.RTMPAddr,
		"--public-url", "http://" + s.HTTPAddr, "--log-level", "warn"}
	s.cmd = exec.Command(bin, append(args, flags...)...)
	s.cmd.Stderr = os.Stderr
	s.cmd.Env = append(os.Environ(), "ONAIR_ADMIN_API_KEY="+AdminKey)
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	s.Client = Client{Base: "http://" + s.HTTPAddr}
	if err := s.Client.WaitHealthy(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// PID is the server's process id, the root of its process tree.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Stop interrupts the server and waits for it to exit.
func (s *Server) Stop() {
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
}

// LocalPath maps a playback URL the server gave (http://host/live/…) to the
// file it serves under the data directory.
func (s *Server) LocalPath(url string) string {
	rest := strings.TrimPrefix(url, s.Client.Base)
	return filepath.Join(s.Data, filepath.FromSlash(strings.TrimPrefix(rest, "/")))
}

// Client is a minimal client of onair's API, authenticated with AdminKey.
type Client struct{ Base string }

// Channel is what a benchmark reads of GET /api/channels/{id}.
type Channel struct {
	Status                 string
	Name                   string
	StartRequestedDateTime time.Time
	StartedDateTime        time.Time
	StopRequestedDateTime  time.Time
	StoppedDateTime        time.Time
	Cause                  string
	Endpoints              struct {
		Input  []struct{ Endpoints []string }
		Output []struct{ Type, URL string }
	}
	Archives []struct {
		FileSize int64
		Duration float64
	}
	Events []struct {
		Time time.Time
		Type string
	}
}

// Ingest is the channel's first ingest URL.
func (ch Channel) Ingest() string {
	if len(ch.Endpoints.Input) == 0 || len(ch.Endpoints.Input[0].Endpoints) == 0 {
		return ""
	}
	return ch.Endpoints.Input[0].Endpoints[0]
}

// Playback is the channel's first HLS playback URL (its master playlist).
func (ch Channel) Playback() string {
	for _, o := range ch.Endpoints.Output {
		if o.Type == "HLS" {
			return o.URL
		}
	}
	return ""
}

// Call sends body as JSON and decodes the answer into out; a status of 300 or
// more is an error that carries the answer.
func (c Client) Call(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", AdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// Blueprint is a built-in or stored blueprint, as the API gives it.
func (c Client) Blueprint(id string) (json.RawMessage, error) {
	var bp json.RawMessage
	err := c.Call("GET", "/api/blueprints/"+id, nil, &bp)
	return bp, err
}

// Create makes a workflow from a blueprint and returns its id.
func (c Client) Create(blueprint json.RawMessage) (string, error) {
	return c.CreateWith(blueprint, nil)
}

// CreateWith makes a workflow from a blueprint with more of the workflow's
// fields (createArchives, say) and returns its id.
func (c Client) CreateWith(blueprint json.RawMessage, fields map[string]any) (string, error) {
	body := map[string]any{"name": "Bench", "blueprint": blueprint}
	for k, v := range fields {
		body[k] = v
	}
	var id struct{ ID string }
	err := c.Call("POST", "/api/workflows", body, &id)
	return id.ID, err
}

// CreateN makes n workflows from one blueprint, with fields as CreateWith.
func (c Client) CreateN(blueprint json.RawMessage, fields map[string]any, n int) ([]string, error) {
	ids := make([]string, n)
	for i := range ids {
		id, err := c.CreateWith(blueprint, fields)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// Start asks for the channels of these workflows to start.
func (c Client) Start(ids ...string) error {
	return c.Call("POST", "/api/channels", map[string]any{"workflows": ids}, nil)
}

// Stop asks for the channels of these workflows to stop.
func (c Client) Stop(ids ...string) error {
	return c.Call("DELETE", "/api/channels", map[string]any{"workflows": ids}, nil)
}

// StartAll starts the channels and waits until each is RUNNING.
func (c Client) StartAll(ids []string) ([]Channel, error) {
	if err := c.Start(ids...); err != nil {
		return nil, err
	}
	chans := make([]Channel, len(ids))
	for i, id := range ids {
		ch, err := c.WaitStatus(id, "RUNNING", 20*time.Millisecond)
		if err != nil {
			return nil, err
		}
		chans[i] = ch
	}
	return chans, nil
}

// StopAll stops the channels and waits until each is DONE.
func (c Client) StopAll(ids []string) error {
	if err := c.Stop(ids...); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := c.WaitStatus(id, "DONE", 50*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// Channel reads a workflow's channel.
func (c Client) Channel(id string) (Channel, error) {
	var ch Channel
	err := c.Call("GET", "/api/channels/"+id, nil, &ch)
	return ch, err
}

// WaitStatus polls a channel every so often until it has the status want; a
// failed status, or two minutes without it, is an error.
func (c Client) WaitStatus(id, want string, every time.Duration) (Channel, error) {
	return c.WaitStatusFor(id, want, every, 2*time.Minute)
}

// WaitStatusFor is WaitStatus with its own deadline.
func (c Client) WaitStatusFor(id, want string, every, limit time.Duration) (Channel, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		ch, err := c.Channel(id)
		if err != nil {
			return ch, err
		}
		if ch.Status == want {
			return ch, nil
		}
		if strings.HasSuffix(ch.Status, "FAILED") {
			return ch, fmt.Errorf("%s: %s", ch.Status, ch.Cause)
		}
		time.Sleep(every)
	}
	return Channel{}, fmt.Errorf("channel %s never became %s", id, want)
}

// WaitHealthy waits up to 10 s for /healthz to answer 200.
func (c Client) WaitHealthy() error {
	for range 200 {
		if resp, err := http.Get(c.Base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("onair did not become healthy")
}

// Metric is the first sample of a metric in /metrics; false when there is
// none.
func (c Client) Metric(name string) (float64, bool, error) {
	req, err := http.NewRequest("GET", c.Base+"/metrics", nil)
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("x-api-key", AdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, false, fmt.Errorf("GET /metrics: %d %s", resp.StatusCode, raw)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok && (strings.HasPrefix(rest, "{") || strings.HasPrefix(rest, " ")) {
			fields := strings.Fields(line)
			v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
			return v, err == nil, err
		}
	}
	return 0, false, nil
}
