package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/health"
	"onair/internal/store"
	"onair/internal/testutil/e2e"
	"onair/internal/testutil/player"
)

// stepTimeout bounds each wait for the page; the whole test takes a few seconds.
const stepTimeout = 6 * time.Second

// zone is the browser's time zone in the test, which the health graphs use.
const zone = "Europe/Sofia"

// page drives one browser tab and collects what would show in its console.
type page struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

func (p *page) problem(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.problems = append(p.problems, s)
}

// checkConsole fails on any exception, console.error or non-network error logged so far.
func (p *page) checkConsole() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.problems) > 0 {
		p.t.Fatalf("the page logged errors:\n  %s", strings.Join(p.problems, "\n  "))
	}
}

// result runs one browser action and returns its value, failing with what the
// page shows when it fails.
func result[T any](p *page, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	return resultIn(p, stepTimeout, what, a)
}

// resultIn is result with another timeout.
func resultIn[T any](p *page, d time.Duration, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, d)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.t.Fatalf("%s: %v\n%s", what, err, p.state())
	}
	return v
}

// run runs browser actions in order.
func (p *page) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	result(p, what, chromedp.Steps(steps...))
}

// waitFor polls a JavaScript expression until it is true.
func (p *page) waitFor(what, expr string) {
	p.t.Helper()
	p.waitWithin(stepTimeout-time.Second, what, expr)
}

// waitWithin is waitFor for up to d.
func (p *page) waitWithin(d time.Duration, what, expr string) {
	p.t.Helper()
	resultIn(p, d+time.Second, "waiting until "+what, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(d)))
}

// text returns the value of a JavaScript expression that gives a string.
func (p *page) text(expr string) string {
	p.t.Helper()
	return result(p, "evaluating "+expr, chromedp.Evaluate[string](expr))
}

// state describes the page for a failure message: notices, rows, dialogs.
func (p *page) state() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		notices: [...document.querySelectorAll('#notices .notice')].map(n => n.textContent),
		rows: [...document.querySelectorAll('#workflow-rows tr')].map(r => r.innerText.replace(/\s+/g, ' ')),
		createError: document.querySelector('#create-error')?.textContent,
		channel: document.querySelector('#channel-body')?.innerText.replace(/\s+/g, ' '),
		health: document.querySelector('#health')?.innerText.replace(/\s+/g, ' '),
	}, null, 1)`))
	p.mu.Lock()
	defer p.mu.Unlock()
	return "page state: " + s + "\nconsole errors: " + strings.Join(p.problems, "; ")
}

// screenshot saves the whole page as a PNG, for a person to look at.
func (p *page) screenshot(file string) {
	p.t.Helper()
	png := result(p, "taking a screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", file)
}

// seen is what the test server observed of the console's requests.
type seen struct {
	mu         sync.Mutex
	apiKey     string // the last x-api-key
	listing    int    // GET /api/workflows requests in flight
	maxListing int    // the most ever in flight at once
	listings   int    // GET /api/workflows requests in all
	graphing   int    // health requests in flight
	maxGraphs  int    // the most ever in flight at once
	graphs     []graphRequest
}

// graphRequest is a GET /api/channels/{id}/health the console made.
type graphRequest struct {
	at   time.Time
	path string
	q    url.Values
}

func (s *seen) get() seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return seen{apiKey: s.apiKey, maxListing: s.maxListing, listings: s.listings, maxGraphs: s.maxGraphs, graphs: slices.Clone(s.graphs)}
}

// lastGraphs is the newest health request's query.
func (s *seen) lastGraphs() url.Values {
	o := s.get()
	if len(o.graphs) == 0 {
		return url.Values{}
	}
	return o.graphs[len(o.graphs)-1].q
}

// pulse is the test's health history: a real health.Service over the test's
// store, fed one run's readings once it begins, its clock a second further
// each tick.
type pulse struct {
	svc  *health.Service
	fail atomic.Bool // Series fails, as a broken history would

	mu  sync.Mutex
	ref health.RunRef // the run read; none before begin
	now time.Time
	n   int // ticks so far
}

func newPulse(st store.Store) *pulse {
	p := &pulse{now: time.Now()}
	p.svc = &health.Service{Store: st, Read: p.read, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.now
		}}
	return p
}

// Series is the API's view of the history.
func (p *pulse) Series(ctx context.Context, q health.Query) ([]health.Series, time.Duration, error) {
	if p.fail.Load() {
		return nil, 0, errors.New("reading the health history: the store is down")
	}
	return p.svc.Series(ctx, q)
}

// read is a second of the run's one pipeline: a publisher sending about
// 2 Mb/s at 30 fps, with 3 s of input lost in its first two minutes, and
// exactly 2 Mb/s from their last 20 s on; an encoder that keeps up and drops a frame now
// and then, and the pipeline_failing alert open.
func (p *pulse) read() []health.Reading {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ref.RunID == "" {
		return nil
	}
	r := health.Reading{Ref: p.ref, Pipeline: 0, InBitrate: 2e6, InFrameRate: 30, SourceFrameRate: 30, Publisher: true, Failing: true,
		InputLoss: time.Duration(min(max(p.n-69, 0), 3)) * time.Second,
		Encoder:   &health.EncoderReading{Running: true, Instance: 1, OutTime: time.Duration(p.n) * time.Second, At: p.now, DropFrames: int64(p.n / 25)}}
	if p.n <= 100 {
		r.InBitrate = 2e6 + 2.5e5*math.Sin(float64(p.n)/7)
		r.InFrameRate = 30 - float64(p.n%9)/8
	}
	if p.n >= 70 && p.n <= 72 {
		r.InBitrate, r.InFrameRate = 0, 0
	}
	return []health.Reading{r}
}

func (p *pulse) tick(ctx context.Context) {
	p.mu.Lock()
	p.now = p.now.Add(time.Second)
	p.n++
	p.mu.Unlock()
	p.svc.Tick(ctx)
}

// begin reads the run from now on: two minutes of history up to now at once,
// then a tick a second, its clock in step with the real one, until the test ends.
func (p *pulse) begin(t *testing.T, ref health.RunRef) {
	p.mu.Lock()
	p.ref, p.now = ref, time.Now().Add(-120*time.Second)
	p.mu.Unlock()
	for range 120 {
		p.tick(t.Context())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
				p.tick(ctx)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// startConsole serves the real API over a real SQLite store, with the console as
// the fallback, as the server mounts them, and the health history of hp.
func startConsole(t *testing.T) (url string, st store.Store, obs *seen, hp *pulse) {
	t.Helper()
	st, err := store.Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "onair.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewUnstartedServer(nil)
	url = "http://" + srv.Listener.Addr().String()
	e2e.SeedAdmin(t, st)
	hp = newPulse(st)
	a := api.New(api.Options{
		Store: st, Region: "local", PublicURL: url, IngestHost: "127.0.0.1:1935", Health: hp,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	mux := http.NewServeMux()
	a.Register(mux)
	mux.Handle("/", Handler())
	obs = &seen{}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		listing := r.Method == "GET" && r.URL.Path == "/api/workflows"
		graphs := r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/api/channels/") && strings.HasSuffix(r.URL.Path, "/health")
		obs.mu.Lock()
		if k := r.Header.Get("x-api-key"); k != "" {
			obs.apiKey = k
		}
		if listing {
			obs.listing++
			obs.listings++
			obs.maxListing = max(obs.maxListing, obs.listing)
		}
		if graphs {
			obs.graphing++
			obs.maxGraphs = max(obs.maxGraphs, obs.graphing)
			obs.graphs = append(obs.graphs, graphRequest{time.Now(), r.URL.Path, r.URL.Query()})
		}
		obs.mu.Unlock()
		mux.ServeHTTP(w, r)
		obs.mu.Lock()
		if listing {
			obs.listing--
		}
		if graphs {
			obs.graphing--
		}
		obs.mu.Unlock()
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return url, st, obs, hp
}

func openPage(t *testing.T, chromium string) *page {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	// The browser must exit before its user-data-dir is removed: this cleanup
	// runs before TempDir's, which was registered first.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	p := &page{t: t}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(p.listen))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	p.ctx = ctx
	// The first action starts the browser, under no timeout: a timeout on it
	// would stop the browser when it expires.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone}); err != nil {
		t.Fatalf("setting the time zone: %v", err)
	}
	return p
}

// listen collects what would show in the page's DevTools console as an error.
// It runs on the tab's reading goroutine, so it only records.
func (p *page) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		p.problem(fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, text))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				if a.Description != "" {
					args = append(args, a.Description)
				} else {
					args = append(args, string(a.Value))
				}
			}
			p.problem("console." + string(ev.Type) + ": " + strings.Join(args, " "))
		}
	case *cdplog.EventEntryAdded:
		// Network errors are the 4xx answers the test provokes on purpose;
		// anything else (a CSP violation, say) is a bug.
		if e := ev.Entry; e.Level == cdplog.EntryLevelError && e.Source != cdplog.EntrySourceNetwork {
			p.problem(fmt.Sprintf("log (%s): %s %s", e.Source, e.Text, e.URL))
		}
	}
}

func TestConsoleInBrowser(t *testing.T) {
	chromium := player.Chromium(t)
	url, st, obs, hp := startConsole(t)
	p := openPage(t, chromium)
	start := time.Now()

	// Without credentials the page asks for them, where the key goes.
	p.run("loading the console", chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS("#workflows-table")))
	p.waitFor("the request for credentials", `document.querySelector('#refresh-state').textContent === 'Signed out' &&
		document.querySelector('#apikey').getAttribute('aria-invalid') === 'true'`)

	// An API key set in the header goes with every later request: the list loads.
	p.run("saving an API key",
		chromedp.SetValue(chromedp.CSS("#apikey"), e2e.AdminKey),
		chromedp.Click(chromedp.CSS("#apikey-form button")))
	p.waitFor("the first refresh", `document.querySelector('#refresh-state').textContent.startsWith('Updated')`)
	p.waitFor("the empty list to say so", `!document.querySelector('#workflows-empty').hidden`)
	p.checkConsole()

	// The create dialog lists the blueprints with their descriptions.
	p.run("opening the create dialog", chromedp.Click(chromedp.CSS("#new-workflow")), chromedp.WaitVisible(chromedp.CSS("#create-dialog")))
	p.waitFor("the blueprints", `document.querySelectorAll('#c-blueprints input[name=blueprint]').length >= 4 &&
		!document.querySelector('#create-submit').disabled &&
		document.querySelector('#c-blueprints .choice-desc').textContent.length > 10`)

	// A name the API refuses: its message shows, and the name field is marked.
	p.run("submitting a bad name",
		chromedp.Click(chromedp.CSS(`#c-blueprints input[value="rtmp-abr-720"]`)),
		chromedp.SetValue(chromedp.CSS("#c-name"), "Bad <name>"),
		chromedp.SetValue(chromedp.CSS("#c-description"), "Tonight at eight"),
		chromedp.SetValue(chromedp.CSS("#c-tags"), "news, sport"),
		chromedp.Click(chromedp.CSS("#create-submit")))
	p.waitFor("the API's message about the name", `!document.querySelector('#create-error').hidden &&
		document.querySelector('#c-name').getAttribute('aria-invalid') === 'true'`)
	if msg := p.text(`document.querySelector('#create-error').textContent`); !strings.HasPrefix(msg, "name: ") || !strings.Contains(msg, "'<'") {
		t.Errorf("create error = %q, want the API's message naming name and the '<'", msg)
	}
	if note := p.text(`document.querySelector('[data-field=name] .field-error')?.textContent ?? ''`); !strings.Contains(note, "'<'") {
		t.Errorf("name field note = %q, want the API's message", note)
	}
	if active := p.text(`document.activeElement.id`); active != "c-name" {
		t.Errorf("focus is on #%s after the refusal, want #c-name", active)
	}
	p.screenshot(filepath.Join(os.TempDir(), "console-create.png"))

	// Fixed, it is created and appears READY, selected, with its tags.
	p.run("submitting a good name",
		chromedp.SetValue(chromedp.CSS("#c-name"), "Evening news"),
		chromedp.Click(chromedp.CSS("#create-submit")),
		chromedp.WaitNotVisible(chromedp.CSS("#create-dialog")))
	row := `[...document.querySelectorAll('#workflow-rows tr')].find(tr => tr.querySelector('.wf-name').textContent === 'Evening news')`
	p.waitFor("the new workflow READY in the table", row+`?.querySelector('.badge').dataset.status === 'READY'`)
	id := p.text(row + `.dataset.id`)
	if tags := p.text(row + `.querySelector('.c-tags').textContent`); tags != "newssport" {
		t.Errorf("tags cell = %q, want news and sport", tags)
	}
	p.waitFor("the channel panel of the new workflow", `document.querySelector('#channel-status .badge')?.dataset.status === 'READY'`)
	if got := obs.get().apiKey; got != e2e.AdminKey {
		t.Errorf("x-api-key seen by the server = %q, want the key saved in the header", got)
	}

	// Start moves it to PROVISIONING; no controller runs, so it stays there.
	sel := fmt.Sprintf(`#workflow-rows tr[data-id=%q]`, id)
	p.run("starting the channel", chromedp.Click(chromedp.CSS(sel+` button[data-action=start]`)))
	p.waitFor("PROVISIONING in the row", `document.querySelector('`+sel+` .badge').dataset.status === 'PROVISIONING'`)
	p.run("selecting the workflow", chromedp.Click(chromedp.CSS(sel+` .wf-name`)))
	p.waitFor("the start request time in the channel panel", `document.querySelector('#channel-status .badge')?.dataset.status === 'PROVISIONING' &&
		!!document.querySelector('#channel [data-time=startRequestedDateTime] time[datetime]')`)
	when := p.text(`document.querySelector('#channel [data-time=startRequestedDateTime] time').getAttribute('datetime')`)
	if ts, err := time.Parse(time.RFC3339Nano, when); err != nil || ts.Before(start.Add(-time.Minute)) {
		t.Errorf("startRequestedDateTime = %q (%v), want a time from this test", when, err)
	}

	// Deleting a locked workflow is refused with the API's 409 message.
	p.run("deleting the PROVISIONING workflow",
		chromedp.Click(chromedp.CSS(sel+` button[data-action=delete]`)),
		chromedp.WaitVisible(chromedp.CSS("#confirm-dialog")),
		chromedp.Click(chromedp.CSS("#confirm-ok")))
	p.waitFor("the 409 message", `[...document.querySelectorAll('#notices .notice.error')].some(n =>
		n.textContent.includes('cannot delete workflow') && n.textContent.includes('PROVISIONING'))`)

	// Duplicate adds a second, READY row on top.
	p.run("duplicating", chromedp.Click(chromedp.CSS(sel+` button[data-action=duplicate]`)))
	p.waitFor("the copy in the table", `document.querySelectorAll('#workflow-rows tr').length === 2 &&
		document.querySelector('#workflow-rows tr').dataset.id !== `+fmt.Sprintf("%q", id)+` &&
		document.querySelector('#workflow-rows tr .badge').dataset.status === 'READY'`)

	// The status filter asks the API for READY only: the copy, not the original.
	p.run("filtering on READY",
		chromedp.Click(chromedp.CSS("#f-status summary")),
		chromedp.Click(chromedp.CSS("#f-status-ready")))
	p.waitFor("one READY row", `document.querySelectorAll('#workflow-rows tr').length === 1 &&
		document.querySelector('#workflow-rows tr').dataset.id !== `+fmt.Sprintf("%q", id)+` &&
		document.querySelector('#f-status summary').textContent === 'READY'`)
	p.run("clearing the filters", chromedp.Click(chromedp.CSS("#f-clear")))
	p.waitFor("both rows again", `document.querySelectorAll('#workflow-rows tr').length === 2`)

	// A failed start shows its cause prominently.
	if _, err := st.UpdateChannel(t.Context(), "default", id, func(ch *domain.Channel) error {
		return ch.SetStatus(domain.StatusStartFailed, "no media engine", time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	p.run("selecting the failed workflow", chromedp.Click(chromedp.CSS(sel+` .wf-name`)))
	p.waitFor("the cause in the channel panel", `document.querySelector('#channel-cause.failed')?.textContent.includes('no media engine')`)

	// A running channel shows its ingest URL to copy, its playback URL and its archive.
	copyID := p.text(`document.querySelector('#workflow-rows tr').dataset.id`)
	if _, err := st.UpdateChannel(t.Context(), "default", copyID, func(ch *domain.Channel) error {
		now := time.Now()
		if err := ch.RequestStart("run-2", true, now); err != nil {
			return err
		}
		for _, to := range []domain.Status{domain.StatusStarting, domain.StatusRunning} {
			if err := ch.SetStatus(to, "", now); err != nil {
				return err
			}
		}
		ch.Run.Inputs = []domain.Ingest{{App: "live", StreamKey: "k3y"}}
		ch.Run.Archives = []domain.Archive{{ID: "a1", Playlist: "run-2/0/index.m3u8", MP4: "run-2/0/archive.mp4", FileSize: 1_500_000, Duration: 65}}
		ch.Run.AddEvent(domain.RunEvent{Time: now, Type: domain.EventPipelineFailing, Message: "ffmpeg was killed from outside onair"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	hp.begin(t, health.RunRef{OrgID: "default", WorkflowID: copyID, RunID: "run-2"})
	p.run("selecting the running workflow", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#workflow-rows tr[data-id=%q] .wf-name`, copyID))))
	p.waitFor("the running channel's endpoints", `document.querySelector('#channel-status .badge')?.dataset.status === 'RUNNING' &&
		document.querySelector('#copy-ingest-0')?.value === 'rtmp://127.0.0.1:1935/live/k3y' &&
		document.querySelector('#copy-output-0')?.value === location.origin + '/live/' + `+fmt.Sprintf("%q", copyID)+` + '/master.m3u8'`)
	if got := p.text(`document.querySelector('#channel [data-alert-pipeline="0"]')?.textContent || ''`); !strings.Contains(got, "Pipeline 0 keeps failing") || !strings.Contains(got, "killed from outside onair") {
		t.Errorf("the channel panel's alert = %q", got)
	}
	if got := p.text(`[...document.querySelectorAll('#channel .archives td')].map(td => td.textContent).join('|')`); got != "1.5 MB|1:05|Download MP4HLS playlist" {
		t.Errorf("archive row = %q", got)
	}
	if got := p.text(`document.querySelector('#channel .archives a[download]').href`); got != url+"/archive/run-2/0/archive.mp4" {
		t.Errorf("download link = %q", got)
	}
	if got := p.text(fmt.Sprintf(`document.querySelector('#workflow-rows tr[data-id=%q] button.run').textContent`, copyID)); got != "Stop" {
		t.Errorf("the running row offers %q, want Stop", got)
	}
	p.run("copying the ingest URL", chromedp.Click(chromedp.CSS(`#channel button[data-focus-key="ingest-0-copy"]`)))
	p.waitFor("the copy to be confirmed", `document.querySelector('#channel button[data-focus-key="ingest-0-copy"]').textContent === 'Copied' ||
		[...document.querySelectorAll('#notices .notice')].some(n => n.textContent.includes('Ctrl+C'))`)

	checkHealth(t, p, st, obs, hp, copyID)

	p.checkConsole()
	p.screenshot(filepath.Join(os.TempDir(), "console.png"))

	// At 400 px the page still fits: no sideways scrolling.
	p.run("narrowing the window", chromedp.EmulateViewport(400, 860))
	p.waitFor("the narrow layout", `innerWidth === 400`)
	width := result(p, "measuring", chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if width > 400 {
		t.Errorf("at 400 px the page is %d px wide", width)
	}
	p.screenshot(filepath.Join(os.TempDir(), "console-narrow.png"))
	// The graphs are drawn again at the narrower cards' width, one column of them.
	p.waitFor("graphs as wide as the narrow cards", graphsDrawn+` && (() => {
		const img = document.querySelector('#health-graphs img');
		return img.naturalWidth >= 300 && img.naturalWidth < 400 && img.naturalWidth === img.clientWidth;
	})()`)
	if w := obs.lastGraphs().Get("width"); w != p.text(`String(document.querySelector('#health-graphs img').naturalWidth)`) {
		t.Errorf("the narrow graphs were asked %s px wide, and are not drawn at that width", w)
	}
	shot := result(p, "taking a screenshot of the health section", chromedp.Screenshot(chromedp.CSS("#health")))
	if err := os.WriteFile(filepath.Join(os.TempDir(), "console-health-narrow.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	p.checkConsole()

	// However often the page asked for a refresh, one list request at a time.
	if o := obs.get(); o.maxListing != 1 || o.listings < 5 {
		t.Errorf("GET /api/workflows: %d requests, up to %d at once; want several, one at a time", o.listings, o.maxListing)
	}
	t.Logf("browser test took %s", time.Since(start).Round(time.Millisecond))
}

// graphsDrawn is true when the health section shows its six graphs, decoded.
const graphsDrawn = `(() => {
	const imgs = [...document.querySelectorAll('#health-graphs img')];
	return !document.querySelector('#health').hidden && imgs.length === 6 && imgs.every(i => i.complete && i.naturalWidth > 0);
})()`

// checkHealth checks the health section of the running channel id: its
// graphs, their refresh, the period, a failure, and the alerts.
func checkHealth(t *testing.T, p *page, st store.Store, obs *seen, hp *pulse, id string) {
	t.Helper()
	p.waitFor("the health graphs", graphsDrawn)

	// Each graph is an image of the size asked for, shown at that size, in two columns.
	q := obs.lastGraphs()
	if q.Get("tz") != zone || q.Get("period") != "15m" || q.Has("metrics") {
		t.Errorf("the health request asked for %v, want the server's default metrics (no metrics=) over 15m in %s", q, zone)
	}
	sizes := p.text(`[...document.querySelectorAll('#health-graphs img')].map(i => i.naturalWidth + 'x' + i.naturalHeight + '@' + i.clientWidth).join(' ')`)
	width := q.Get("width")
	if want := strings.Repeat(width+"x"+q.Get("height")+"@"+width+" ", 6); sizes+" " != want {
		t.Errorf("the graphs are (natural size @ shown width) %s; want the requested size %sx%s, shown as it is", sizes, width, q.Get("height"))
	}
	if w, h := atoi(width), atoi(q.Get("height")); w < 300 || w > 1000 || math.Abs(float64(h)-0.6*float64(w)) > 1 {
		t.Errorf("graphs asked %sx%s, want 300 to 1000 wide and 0.6 as high", width, q.Get("height"))
	}
	if cols := p.text(`String(new Set([...document.querySelectorAll('#health-graphs img')].map(i => Math.round(i.getBoundingClientRect().left))).size)`); cols != "2" {
		t.Errorf("the graphs are in %s columns at 1280 px, want 2", cols)
	}

	// The alt texts and captions say what each graph shows, the latest value first.
	alts := p.text(`[...document.querySelectorAll('#health-graphs img')].map(i => i.alt).join(' | ')`)
	for _, m := range []string{"NetworkIn, kbps, latest 2000", "InputVideoFrameRate, fps, latest 30", "InputLossSeconds, s, latest 0",
		"DroppedFrames, frames, latest", "EncoderSpeed, x, latest 1", "ActiveAlerts, alerts, latest 1"} {
		if !strings.Contains(alts, m) {
			t.Errorf("alt texts %q lack %q", alts, m)
		}
	}
	caption := p.text(`document.querySelector('#health-graphs [data-metric=NetworkIn] figcaption').innerText.replace(/\s+/g, ' ')`)
	if !strings.Contains(caption, "Latest 2000") || !strings.Contains(caption, "kbps") || !strings.Contains(caption, "Min ") || !strings.Contains(caption, "Avg ") || !strings.Contains(caption, "Max ") {
		t.Errorf("NetworkIn's caption = %q, want its unit, latest 2000, min, avg and max", caption)
	}
	if note := p.text(`document.querySelector('#health-note').textContent`); !strings.Contains(note, "Times in "+zone) {
		t.Errorf("the health note = %q, want it to name the time zone %s", note, zone)
	}
	if got := p.text(`document.querySelector('#health-alerts').textContent`); got != "1 active alert" {
		t.Errorf("the health section's alert count = %q, want 1 active alert", got)
	}

	// A newly raised alert shows with its type's title, and the count follows.
	if _, err := st.UpdateChannel(t.Context(), "default", id, func(ch *domain.Channel) error {
		ch.Run.AddEvent(domain.RunEvent{Time: time.Now(), Type: domain.EventAlertRaised, Alert: domain.AlertInputLoss, Pipeline: 0,
			Message: "no input from the publisher for over 5s"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	p.waitFor("the input_loss alert", `document.querySelector('#channel [data-alert-pipeline="0"][data-alert-type=input_loss][role=alert]')?.textContent.includes('no input from the publisher') &&
		document.querySelector('#health-alerts').textContent === '2 active alerts'`)
	if got := p.text(`document.querySelector('#channel [data-alert-type=input_loss] strong').textContent`); !strings.HasPrefix(got, "Pipeline 0: input lost since ") || strings.Contains(got, "object") {
		t.Errorf("the input_loss alert's title = %q", got)
	}
	p.screenshot(filepath.Join(os.TempDir(), "console-health.png"))

	// While the run is up the graphs are drawn again every 10 s, and swapped in.
	p.text(`window.firstGraph = document.querySelector('#health-graphs img').src, ''`)
	p.waitWithin(12*time.Second, "the graphs to refresh", `document.querySelector('#health-graphs img')?.src !== window.firstGraph && `+graphsDrawn)

	// Another period asks for it at once; a failure shows the API's message, not broken images.
	p.run("choosing 1 h", chromedp.Click(chromedp.CSS(`#health-period input[value="1h"]`)))
	p.waitFor("graphs of the last hour", `document.querySelector('#health-graphs').getAttribute('aria-busy') === null && `+graphsDrawn)
	if got := obs.lastGraphs().Get("period"); got != "1h" {
		t.Errorf("after choosing 1 h the console asked for period=%q", got)
	}
	hp.fail.Store(true)
	p.run("choosing 6 h", chromedp.Click(chromedp.CSS(`#health-period input[value="6h"]`)))
	p.waitFor("the failure's message", `!document.querySelector('#health-error').hidden &&
		document.querySelector('#health-error').textContent.includes('internal error') &&
		document.querySelectorAll('#health-graphs img').length === 0`)
	hp.fail.Store(false)
	p.run("choosing 1 h again", chromedp.Click(chromedp.CSS(`#health-period input[value="1h"]`)))
	p.waitFor("the graphs back", `document.querySelector('#health-error').hidden && `+graphsDrawn)

	// However often the panel reloads, one health request at a time, and a
	// refresh of the same graphs not within 10 s of the last.
	o := obs.get()
	if o.maxGraphs != 1 {
		t.Errorf("up to %d health requests at once, want 1", o.maxGraphs)
	}
	var mine []graphRequest // the running channel's, whose status stays
	for _, g := range o.graphs {
		if g.path == "/api/channels/"+id+"/health" {
			mine = append(mine, g)
		}
	}
	for i := 1; i < len(mine); i++ {
		a, b := mine[i-1], mine[i]
		if a.q.Encode() == b.q.Encode() && b.at.Sub(a.at) < 9500*time.Millisecond {
			t.Errorf("health requests %d and %d for the same graphs (%s?%s) %s apart", i-1, i, b.path, b.q.Encode(), b.at.Sub(a.at).Round(time.Millisecond))
		}
	}

	// The period is remembered for the tab.
	p.run("reloading", chromedp.Reload())
	p.waitFor("the graphs after reloading", `document.querySelector('#health-period input[value="1h"]').checked && `+graphsDrawn)
	if got := obs.lastGraphs().Get("period"); got != "1h" {
		t.Errorf("after reloading the console asked for period=%q, want the 1h chosen before", got)
	}
	t.Logf("%d health requests, %d of them for the running channel", len(obs.get().graphs), len(mine))
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}
