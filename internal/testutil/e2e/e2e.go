// Package e2e holds what end-to-end tests of a running onair share: an API
// client that waits for statuses, a real ffmpeg publisher, and checks made with
// ffprobe and the files on disk.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/auth"
	"onair/internal/domain"
	"onair/internal/store"
)

// AdminKey is the bootstrap API key that test servers are started with.
const AdminKey = "test-admin-key-0123456789abcdef"

// Client drives one onair's API for a test.
type Client struct {
	T      testing.TB
	Base   string // http://host:port
	APIKey string // sent as x-api-key when set
}

// Call sends a JSON request and decodes the answer into out; it returns the status.
func (c *Client) Call(method, path string, body any, out any) int {
	c.T.Helper()
	return c.CallWith(method, path, body, out, "", "")
}

// CallWith is Call with one more header, such as Authorization.
func (c *Client) CallWith(method, path string, body any, out any, header, value string) int {
	c.T.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = strings.NewReader(string(raw))
	}
	req, _ := http.NewRequest(method, c.Base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if c.APIKey != "" {
		req.Header.Set("x-api-key", c.APIKey)
	}
	if header != "" {
		req.Header.Set(header, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.T.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			c.T.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode
}

// Create creates a workflow from a blueprint and returns its id.
func (c *Client) Create(b domain.Blueprint) string {
	c.T.Helper()
	var id api.IDResponse
	if code := c.Call("POST", "/api/workflows", map[string]any{"name": "E2E", "blueprint": b}, &id); code != 201 {
		c.T.Fatalf("create: %d", code)
	}
	return id.ID
}

// Start starts a workflow's channel.
func (c *Client) Start(id string) {
	c.T.Helper()
	var res api.ChannelsResult
	if code := c.Call("POST", "/api/channels", map[string]any{"workflows": []string{id}}, &res); code != 200 || len(res.Items) != 1 {
		c.T.Fatalf("start: %d %+v", code, res)
	}
}

// CreateAndStart creates a workflow, starts its channel and waits for RUNNING.
func (c *Client) CreateAndStart(b domain.Blueprint) (string, api.ChannelInfo) {
	c.T.Helper()
	id := c.Create(b)
	c.Start(id)
	return id, c.WaitStatus(id, domain.StatusRunning)
}

// Stop stops a workflow's channel.
func (c *Client) Stop(id string) {
	c.T.Helper()
	if code := c.Call("DELETE", "/api/channels", map[string]any{"workflows": []string{id}}, nil); code != 200 {
		c.T.Fatalf("stop: %d", code)
	}
}

// Channel returns GET /api/channels/{id}.
func (c *Client) Channel(id string) api.ChannelInfo {
	c.T.Helper()
	var info api.ChannelInfo
	c.Call("GET", "/api/channels/"+id, nil, &info)
	return info
}

// WaitStatus polls a channel until it has the status, failing at once on a
// failure status it did not ask for.
func (c *Client) WaitStatus(id string, want domain.Status) api.ChannelInfo {
	c.T.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		info := c.Channel(id)
		if info.Status == want {
			return info
		}
		if (info.Status == domain.StatusStartFailed || info.Status == domain.StatusStopFailed) && want != info.Status {
			c.T.Fatalf("channel %s: %s: %s", id, info.Status, info.Cause)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.T.Fatalf("channel %s never became %s (now %s)", id, want, c.Channel(id).Status)
	return api.ChannelInfo{}
}

// Local rewrites a URL that onair handed out (with its public URL) to this
// client's base, for servers whose public URL is not where the test reaches them.
func (c *Client) Local(url, public string) string {
	return strings.Replace(url, public, c.Base, 1)
}

// SmallBlueprint is a ladder small enough for a 2-core test machine: 320x180 and
// 160x90 at 1 s GOPs, 2 s segments, recorded at the top rendition.
func SmallBlueprint(class domain.ChannelClass) domain.Blueprint {
	return domain.Blueprint{
		ID: "small", Name: "Small ladder",
		Settings: domain.BlueprintSettings{
			Inputs: []domain.Input{{CreateInput: &domain.CreateInput{Type: "VIRTUAL_INPUT", Protocol: "RTMP_PUSH"}}},
			Channel: domain.ChannelSettings{
				Class: class,
				Video: []domain.VideoRendition{
					{Name: "180p", Codec: "H264", Width: 320, Height: 180, Bitrate: 300_000, Maxrate: 450_000, GopSeconds: 1, Profile: "high"},
					{Name: "90p", Codec: "H264", Width: 160, Height: 90, Bitrate: 100_000, Maxrate: 150_000, GopSeconds: 1, Profile: "main"},
				},
				Audio: &domain.Audio{Codec: "AAC", SampleRate: 48000, Bitrate: 64_000, Channels: 2},
			},
			OutputGroups: []domain.OutputGroup{
				{Type: domain.OutputHLS, HLS: &domain.HLSSettings{SegmentSeconds: 2, WindowSeconds: 20}},
				{Type: domain.OutputArchive, Archive: &domain.ArchiveSettings{Rendition: "180p", NameModifier: "$w$x$h$"}},
			},
		},
	}
}

// Passthrough is a ladder of the source alone: no encoder, 1 s segments,
// recorded as it arrives.
func Passthrough(class domain.ChannelClass) domain.Blueprint {
	b := SmallBlueprint(class)
	b.ID = "small-passthrough"
	b.Settings.Channel.Passthrough = true
	b.Settings.Channel.Video = nil
	b.Settings.Channel.Audio = nil
	b.Settings.OutputGroups = []domain.OutputGroup{
		{Type: domain.OutputHLS, HLS: &domain.HLSSettings{SegmentSeconds: 1, WindowSeconds: 10}},
		{Type: domain.OutputArchive, Archive: &domain.ArchiveSettings{Rendition: domain.RenditionSource, NameModifier: "source"}},
	}
	return b
}

// WithLowLatency adds a CMAF LL-HLS output (0.5 s parts) to a blueprint's
// TS one, with its segment length and window.
func WithLowLatency(b domain.Blueprint) domain.Blueprint {
	h := *b.Settings.OriginHLS()
	h.Format, h.LowLatency = domain.FormatCMAF, true
	b.Settings.OutputGroups = append(append([]domain.OutputGroup(nil), b.Settings.OutputGroups...),
		domain.OutputGroup{Name: "LL-HLS", Type: domain.OutputHLS, HLS: &h})
	return b
}

// Publish pushes a test pattern with a tone, 320x180 at 15 fps, in real time,
// for the given seconds, and returns the running ffmpeg; the test's cleanup kills it.
func Publish(t testing.TB, url string, seconds int) *exec.Cmd {
	t.Helper()
	return PublishWith(t, url, seconds, nil)
}

// PublishWith is Publish with more options for ffmpeg's RTMP output, such as
// -rtmp_app and -rtmp_playpath, which split the URL the way other encoders do.
func PublishWith(t testing.TB, url string, seconds int, rtmpOptions []string) *exec.Cmd {
	t.Helper()
	return PublishSized(t, url, seconds, "320x180", rtmpOptions)
}

// PublishSized is PublishWith at another picture size, such as "256x144".
func PublishSized(t testing.TB, url string, seconds int, size string, rtmpOptions []string) *exec.Cmd {
	t.Helper()
	cmd := publishCommand(url, seconds, size, rtmpOptions)
	cmd.Stderr = LogWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// PublishCommand is the ffmpeg command of PublishWith, not started, for a
// test that reads its output itself.
func PublishCommand(url string, seconds int, rtmpOptions []string) *exec.Cmd {
	return publishCommand(url, seconds, "320x180", rtmpOptions)
}

func publishCommand(url string, seconds int, size string, rtmpOptions []string) *exec.Cmd {
	args := []string{"-hide_banner", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc=size=" + size + ":rate=15",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", strconv.Itoa(seconds),
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "64k",
		"-f", "flv"}
	return exec.Command("ffmpeg", append(append(args, rtmpOptions...), url)...)
}

// SyncBuffer collects what a server writes from its goroutines (or a process
// its output) while a test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// LogWriter sends what it is given to the test's log, line by line.
type LogWriter struct{ T testing.TB }

func (w LogWriter) Write(b []byte) (int, error) {
	w.T.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// WaitFor polls cond until it holds, or fails the test after d.
func WaitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// Get fetches a URL and returns its status, headers and body.
func Get(t testing.TB, url string) (int, http.Header, string) {
	t.Helper()
	return GetWith(t, url, "", "")
}

// GetWith is Get with one request header (none when header is ""), such as
// a credential or a viewer's country.
func GetWith(t testing.TB, url, header, value string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if header != "" {
		req.Header.Set(header, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// Probe runs ffprobe with JSON output.
func Probe(t testing.TB, args ...string) map[string]any {
	t.Helper()
	out, err := exec.Command("ffprobe", append([]string{"-v", "error", "-of", "json"}, args...)...).Output()
	if err != nil {
		t.Fatalf("ffprobe %v: %v", args, err)
	}
	var v map[string]any
	json.Unmarshal(out, &v)
	return v
}

// Decodes checks that ffmpeg decodes a whole file or URL without an error.
func Decodes(t testing.TB, url string) {
	t.Helper()
	decodes(t, url)
}

// DecodesLive checks that ffmpeg decodes the first seconds of a live playlist,
// which has no end to wait for.
func DecodesLive(t testing.TB, url string, seconds int) {
	t.Helper()
	decodes(t, url, "-t", strconv.Itoa(seconds))
}

func decodes(t testing.TB, url string, extra ...string) {
	t.Helper()
	args := append([]string{"-v", "error", "-rw_timeout", "10000000", "-i", url}, extra...)
	out, err := exec.Command("ffmpeg", append(args, "-f", "null", "-")...).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("%s does not decode cleanly: %v\n%s", url, err, out)
	}
}

// Timeline is what ffprobe reads of a recording's video frames, in
// presentation order: where they start and end, the longest time between two
// frames (a hole in the recording, however the container spells it), how
// much media they hold (the frames times the usual time between two), and
// whether any decode timestamp goes back.
type Timeline struct {
	Start, End, MaxGap, Media float64
	GapAt                     float64 // where MaxGap starts
	Back                      bool
}

// VideoTimeline probes a file's video packets.
func VideoTimeline(t testing.TB, file string) Timeline {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,dts_time",
		"-of", "csv=p=0", file).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", file, err)
	}
	var pts []float64
	var tl Timeline
	lastDTS := math.Inf(-1)
	for _, line := range strings.Fields(string(out)) {
		p, d, ok := strings.Cut(line, ",")
		pv, err1 := strconv.ParseFloat(p, 64)
		dv, err2 := strconv.ParseFloat(strings.TrimSuffix(d, ","), 64)
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		if dv < lastDTS {
			tl.Back = true
		}
		lastDTS = dv
		pts = append(pts, pv)
	}
	if len(pts) < 2 {
		t.Fatalf("%s has %d video packets", file, len(pts))
	}
	slices.Sort(pts)
	steps := make([]float64, len(pts)-1)
	for i := range steps {
		steps[i] = pts[i+1] - pts[i]
		if steps[i] > tl.MaxGap {
			tl.MaxGap, tl.GapAt = steps[i], pts[i]
		}
	}
	slices.Sort(steps)
	frame := steps[len(steps)/2]
	tl.Start, tl.End = pts[0], pts[len(pts)-1]+frame
	tl.Media = float64(len(pts)) * frame
	return tl
}

// HasEvent reports whether a channel's run logged an event of this type.
func HasEvent(info api.ChannelInfo, typ string) bool {
	return CountEvents(info, typ) > 0
}

// CountEvents counts a run's events of this type.
func CountEvents(info api.ChannelInfo, typ string) int {
	n := 0
	for _, e := range info.Events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// Segments counts the segments a playlist on disk lists.
func Segments(playlist string) int {
	b, _ := os.ReadFile(playlist)
	return strings.Count(string(b), "#EXTINF")
}

// Discontinuities counts the EXT-X-DISCONTINUITY tags of a playlist on disk
// (not its EXT-X-DISCONTINUITY-SEQUENCE).
func Discontinuities(playlist string) int {
	b, _ := os.ReadFile(playlist)
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) == "#EXT-X-DISCONTINUITY" {
			n++
		}
	}
	return n
}

// MediaSequence reads a playlist's #EXT-X-MEDIA-SEQUENCE.
func MediaSequence(t testing.TB, playlist string) int {
	t.Helper()
	b, err := os.ReadFile(playlist)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "#EXT-X-MEDIA-SEQUENCE:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// LastSegment returns the number of the newest seg_NNNNNN.ts a playlist lists, or -1.
func LastSegment(playlist string) int {
	b, _ := os.ReadFile(playlist)
	last := -1
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "seg_"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(v, ".ts"))
			last = max(last, n)
		}
	}
	return last
}

// SeedAdmin makes the "default" organization and its server admin's API key,
// AdminKey, in a store; doing it again changes nothing.
func SeedAdmin(t testing.TB, st store.Store) {
	t.Helper()
	ctx := context.Background()
	var ce *domain.ConflictError
	if err := st.CreateOrganization(ctx, domain.Organization{ID: "default", Name: "Default", Created: time.Now().UTC()}); err != nil && !errors.As(err, &ce) {
		t.Fatal(err)
	}
	err := st.CreateAPIKey(ctx, domain.APIKey{ID: "admin", OrgID: "default", Name: "admin", Enabled: true,
		Hash: auth.HashSecret(AdminKey), ServerAdmin: true, Created: time.Now().UTC()})
	if err != nil && !errors.As(err, &ce) {
		t.Fatal(err)
	}
}
