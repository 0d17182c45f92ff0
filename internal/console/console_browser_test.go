package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"onair/internal/api"
	"onair/internal/domain"
	"onair/internal/store"
	"onair/internal/testutil/e2e"
	"onair/internal/testutil/player"
)

// stepTimeout bounds each wait for the page; the whole test takes a few seconds.
const stepTimeout = 6 * time.Second

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
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
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
	result(p, "waiting until "+what, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(stepTimeout-time.Second)))
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
}

func (s *seen) get() seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return seen{apiKey: s.apiKey, maxListing: s.maxListing, listings: s.listings}
}

// startConsole serves the real API over a real SQLite store, with the console as
// the fallback, as the server mounts them.
func startConsole(t *testing.T) (url string, st store.Store, obs *seen) {
	t.Helper()
	st, err := store.Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "onair.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewUnstartedServer(nil)
	url = "http://" + srv.Listener.Addr().String()
	e2e.SeedAdmin(t, st)
	a := api.New(api.Options{
		Store: st, Region: "local", PublicURL: url, IngestHost: "127.0.0.1:1935",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	mux := http.NewServeMux()
	a.Register(mux)
	mux.Handle("/", Handler())
	obs = &seen{}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		listing := r.Method == "GET" && r.URL.Path == "/api/workflows"
		obs.mu.Lock()
		if k := r.Header.Get("x-api-key"); k != "" {
			obs.apiKey = k
		}
		if listing {
			obs.listing++
			obs.listings++
			obs.maxListing = max(obs.maxListing, obs.listing)
		}
		obs.mu.Unlock()
		mux.ServeHTTP(w, r)
		if listing {
			obs.mu.Lock()
			obs.listing--
			obs.mu.Unlock()
		}
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return url, st, obs
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
	url, st, obs := startConsole(t)
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
	p.checkConsole()

	// However often the page asked for a refresh, one list request at a time.
	if o := obs.get(); o.maxListing != 1 || o.listings < 5 {
		t.Errorf("GET /api/workflows: %d requests, up to %d at once; want several, one at a time", o.listings, o.maxListing)
	}
	t.Logf("browser test took %s", time.Since(start).Round(time.Millisecond))
}
