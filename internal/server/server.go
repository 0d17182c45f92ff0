// Package server wires onair together for `onair serve`: the store, its lease,
// the controller, the engine and the HTTP listener, and stops them in order.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"onair/internal/api"
	"onair/internal/auth"
	"onair/internal/catalog"
	"onair/internal/channels"
	"onair/internal/config"
	"onair/internal/console"
	"onair/internal/controller"
	"onair/internal/docs"
	"onair/internal/domain"
	"onair/internal/engine"
	"onair/internal/geo"
	"onair/internal/health"
	"onair/internal/ingest"
	"onair/internal/lease"
	"onair/internal/openapi"
	"onair/internal/origin"
	"onair/internal/playout"
	"onair/internal/provision"
	"onair/internal/retention"
	"onair/internal/scheduler"
	"onair/internal/storage"
	"onair/internal/store"
)

// Version is the onair version printed by the server and the API reference.
var Version = "0.1.0-dev"

// Server is a running onair node.
type Server struct {
	now      func() time.Time
	resync   time.Duration
	settle   time.Duration
	cfg      config.Config
	log      *slog.Logger
	store    store.Store
	ctrl     *controller.Controller
	sched    *scheduler.Scheduler
	channels *channels.Service
	tokens   *auth.Tokens
	// generatedKey is the admin key bootstrap made for a new store, if it did.
	generatedKey string
	engine       *engine.Local
	events       *eventLog
	health       *health.Service
	webhooks     *health.Webhooks
	origin       *origin.Origin
	storage      *storage.Set
	provisions   *provision.Service
	playout      *playout.Service
	ingest       *ingest.Server
	httpLn       net.Listener
	rtmpLn       net.Listener
	handler      http.Handler

	// lease makes this server the one that runs the store's channels;
	// leaseBeat and leaseTTL time it (tests shorten them).
	lease               *lease.Keeper
	leaseBeat, leaseTTL time.Duration
	// stderr is told what a person waiting for the server must know (that it
	// stands by for another one); nil tells only the log.
	stderr io.Writer
}

// Option changes how a Server is built; tests use them.
type Option func(*Server)

// WithClock makes every component read the time from now, so that tests can
// move time forward (a schedule's stop) without waiting.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithSettle sets how long a new ffmpeg must stay up before a start takes it
// for up, so that a test can have its publisher there during the start.
func WithSettle(d time.Duration) Option { return func(s *Server) { s.settle = d } }

// WithResync sets how often the controllers look at the store when nothing told
// them to, so that tests that move the clock see the effect soon.
func WithResync(d time.Duration) Option { return func(s *Server) { s.resync = d } }

// WithLease times the store's lease: renewed every beat, lasting ttl.
func WithLease(beat, ttl time.Duration) Option {
	return func(s *Server) { s.leaseBeat, s.leaseTTL = beat, ttl }
}

// WithStderr also tells w, in plain words, what a person starting the server
// must know: that it stands by while another server holds the store.
func WithStderr(w io.Writer) Option { return func(s *Server) { s.stderr = w } }

// New opens the store, takes its lease (waiting as a standby while another
// server holds it, unless cfg.Standby is off), and binds the listeners, so that
// a caller knows at once whether the server can start, and which addresses it
// got (":0" in tests). Nothing runs a channel before the lease is this server's.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (*Server, error) {
	if err := os.MkdirAll(cfg.Data, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, store: st, now: time.Now, leaseBeat: lease.DefaultBeat, leaseTTL: lease.DefaultTTL}
	for _, o := range opts {
		o(s)
	}
	if err := s.takeLease(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if err := s.bootstrap(ctx); err != nil {
		s.close()
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if err := s.open(); err != nil {
		s.close()
		return nil, err
	}
	if err := s.lease.Advertise(ctx, s.cfg.PublicURL, "rtmp://"+s.ingestHost()); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// open sets up everything past the store; close releases what it got.
func (s *Server) open() error {
	var err error
	s.webhooks = health.NewWebhooks(s.log.With("component", "alerts"))
	s.events = newEventLog(s.store, s.log, s.webhooks, s.cfg.AlertWebhook)
	if s.storage, err = openStorage(s.cfg); err != nil {
		return err
	}
	if s.engine, err = engine.NewLocal(engine.Config{
		Storage: s.storage,
		DataDir: s.cfg.Data, FFmpeg: s.cfg.FFmpeg, FFprobe: s.cfg.FFprobe, Log: s.log, OnEvent: s.events.add, OnDestination: s.events.destination, Now: s.now,
		// A publisher that comes the moment a start returns, before the
		// controller got to the run, is found through the store and held.
		Lookup: s.store.ChannelByStreamKey,
		// A publisher to a provision's path starts its run.
		Provisioned: func(ctx context.Context, req ingest.PublishRequest) (*domain.Channel, error) {
			return s.provisions.Publish(ctx, req)
		},
		Settle: s.settle,
	}); err != nil {
		return err
	}
	s.health = &health.Service{Store: s.store, Read: s.engine.Readings, Audience: health.NewAudienceMeter(s.now),
		OnEvent: func(ref health.RunRef, e domain.RunEvent) {
			s.events.add(engine.RunRef{OrgID: ref.OrgID, WorkflowID: ref.WorkflowID, RunID: ref.RunID}, e)
		},
		Now: s.now, Log: s.log.With("component", "health"), Retention: s.cfg.MetricsRetention}
	s.ctrl = controller.New(s.store, s.engine, controller.Options{Log: s.log, Now: s.now, Resync: s.resync})
	s.channels = &channels.Service{Store: s.store, Notify: s.ctrl.Notify, NewID: uuid.NewString, Now: s.now}
	locator, err := geo.Open(s.cfg.GeoHeader, s.cfg.GeoIPDB)
	if err != nil {
		return err
	}
	s.provisions = &provision.Service{
		Store: s.store, Channels: s.channels, Engine: s.engine, Region: s.cfg.Region,
		RequireAuth: s.cfg.ProvisionsRequireAuth, Grace: s.cfg.ProvisionGrace, Locator: locator,
		DataDir: s.cfg.Data, NewID: uuid.NewString, Now: s.now, Log: s.log.With("component", "provisions"),
	}
	archives, err := s.storage.Archives(storage.Location{})
	if err != nil {
		return err
	}
	s.playout = playout.New(playout.Config{Store: s.store, Secrets: s.store, DataDir: s.cfg.Data, Archives: archives, PublicURL: s.cfg.PublicURL,
		KeyProvider: s.cfg.PlayoutKeyProvider,
		Now:         s.now, Log: s.log.With("component", "playout")})
	s.sched = scheduler.New(s.store, s.channels, scheduler.Options{Log: s.log, Now: s.now, Resync: s.resync})
	// A publisher that sends nothing for 10 s is gone (encoders send frames all
	// the time): dropping it soon frees its key for the encoder's reconnect,
	// since a key in use refuses a second publisher.
	s.ingest = ingest.NewServer(s.engine, ingest.Options{Log: s.log.With("component", "rtmp"), ReadTimeout: 10 * time.Second})
	if s.origin, err = origin.New(s.cfg.Data); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	// LL-HLS blocking reloads wait on the engine's live variants.
	s.origin.SetWaiter(s.engine)
	if s.storage.Default.IsBucket() {
		s.origin.ServeArchives(archives, s.storage.Redirect, s.storage.DownloadTTL)
	}
	if s.httpLn, err = net.Listen("tcp", s.cfg.HTTP); err != nil {
		return fmt.Errorf("http listener: %w", err)
	}
	if s.rtmpLn, err = net.Listen("tcp", s.cfg.RTMP); err != nil {
		return fmt.Errorf("rtmp listener: %w", err)
	}
	s.handler, err = s.routes()
	return err
}

func (s *Server) close() {
	if s.httpLn != nil {
		s.httpLn.Close()
	}
	if s.rtmpLn != nil {
		s.rtmpLn.Close()
	}
	if s.origin != nil {
		s.origin.Close()
	}
	if s.storage != nil {
		s.storage.Disk.Close()
	}
	s.releaseLease()
	s.store.Close()
}

// RTMPAddr is the address the RTMP listener got.
func (s *Server) RTMPAddr() string { return s.rtmpLn.Addr().String() }

// HTTPAddr is the address the HTTP listener got.
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

// Handler is the whole HTTP surface, for tests that drive it without a socket.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() (http.Handler, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(newWorkflowsCollector(s.store, s.log), s.engine, healthCollector{s.health})
	metrics := api.NewMetrics(reg)

	a := api.New(api.Options{
		Store:      s.store,
		Catalog:    catalog.New(),
		Controller: s.ctrl,
		Scheduler:  s.sched,
		Channels:   s.channels,
		Tokens:     s.tokens,
		LiveDomain: s.cfg.LiveDomain,
		DataDir:    s.cfg.Data,
		FFmpeg:     s.cfg.FFmpeg,
		Region:     s.cfg.Region,
		PublicURL:  s.cfg.PublicURL,
		IngestHost: s.ingestHost(),
		Log:        s.log,
		Now:        s.now,
		Metrics:    metrics,
		Playout:    s.playout,
		Health:     s.health,
		Storage:    s.storage,
		CDNBaseURL: s.cfg.CDNBaseURL,
	})
	mux := http.NewServeMux()
	a.Register(mux)

	spec, err := openapi.Build(openapi.Spec{
		Title:       "onair API",
		Version:     Version,
		Description: "Self-hosted live video: workflows, channels, blueprints. The workflow API follows the IOIO Live v4 shapes.",
		Tags: append(api.Tags,
			openapi.Tag{Name: "Playback", Description: "The origin: live HLS and recordings."},
			openapi.Tag{Name: "Operations", Description: "Health, metrics and this reference."}),
		Operations: append(a.Operations(), s.operations()...),
		SecuritySchemes: map[string]openapi.SecurityScheme{
			"apiKey": {Type: "apiKey", Name: "x-api-key", In: "header", Description: "An API key from POST /api/api-keys."},
			"idToken": {Type: "http", Scheme: "bearer", BearerFormat: "JWT",
				Description: "An IdToken from POST /api/auth/authorize, valid one hour."},
			"metricsToken": {Type: "http", Scheme: "bearer",
				Description: "The server's metrics token (--metrics-token, ONAIR_METRICS_TOKEN), for GET /metrics alone."},
		},
		Security: []map[string][]string{{"apiKey": {}}, {"idToken": {}}},
	})
	if err != nil {
		return nil, fmt.Errorf("building the API reference: %w", err)
	}
	handle := func(pattern, route string, h http.Handler) { mux.Handle(pattern, metrics.Instrument(route, h)) }
	// A provision's playback paths (/live/<scope>/<stream>/...) are its
	// runs' live directories, behind its georules.
	// An event with a DRM playout profile plays only through it.
	// What it serves of /live/ counts the channels' viewers.
	s.origin.Register(mux, func(route string, h http.Handler) http.Handler {
		return metrics.Instrument(route, s.health.Audience.Wrap(s.playout.Guard(s.provisions.Playback(h))))
	})
	handle(domain.PlayoutRoot+"/", domain.PlayoutRoot+"/", s.playout)
	handle(playout.LicensePath, playout.LicensePath, http.HandlerFunc(s.playout.ServeLicense))
	handle("GET /openapi.json", "/openapi.json", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write(spec)
	}))
	handle("GET /docs", "/docs", http.RedirectHandler("/docs/", http.StatusMovedPermanently))
	handle("GET "+docs.Prefix, docs.Prefix, docs.Handler("/openapi.json"))
	handle("GET /healthz", "/healthz", http.HandlerFunc(s.healthz))
	scrape := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	handle("GET /metrics", "/metrics", metricsAccess(s.cfg.MetricsToken, a.Guard, scrape))
	handle("/api/", "/api/", notAllowed(mux, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusNotFound, "no such API route: "+r.Method+" "+r.URL.Path+"; see /docs")
	})))
	handle("/streammanager/", "/streammanager/", streamManagerFallback(mux, s.now))
	handle("/", "/", notAllowed(mux, console.Handler()))
	return mux, nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		writeJSONError(w, http.StatusServiceUnavailable, "store unreachable: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"status":"ok"}`+"\n")
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\"message\":%q}\n", msg)
}

// ingestHost is the host:port encoders push to: the public host and the RTMP
// listener's port (the one it got, when the configuration asked for any).
func (s *Server) ingestHost() string {
	_, port, err := net.SplitHostPort(s.rtmpLn.Addr().String())
	if err != nil {
		port = "1935"
	}
	return net.JoinHostPort(s.cfg.IngestHost(), port)
}

// Run serves until ctx is done, then stops gracefully: the HTTP server drains,
// the controller finishes the step in flight, and the store closes.
func (s *Server) Run(ctx context.Context) error {
	ctrlCtx, stopCtrl := context.WithCancel(context.Background())
	ctrlDone := make(chan error, 1)
	go func() { ctrlDone <- s.ctrl.Run(ctrlCtx) }()
	schedDone := make(chan error, 1)
	go func() { schedDone <- s.sched.Run(ctrlCtx) }()
	eventsCtx, stopEvents := context.WithCancel(context.Background())
	s.webhooks.Start(eventsCtx)
	eventsDone := make(chan struct{})
	go func() { s.events.run(eventsCtx); close(eventsDone) }()
	reapDone := make(chan struct{})
	go func() { s.provisions.Reap(ctrlCtx, time.Second); close(reapDone) }()
	syncDone := make(chan struct{})
	go func() { s.playout.Run(ctrlCtx); close(syncDone) }()
	cleanDone := make(chan struct{})
	cleaner := &retention.Cleaner{Store: s.store, Storage: s.storage, Now: s.now, Log: s.log.With("component", "retention"), DryRun: s.cfg.RetentionDryRun}
	go func() { cleaner.Run(ctrlCtx); close(cleanDone) }()
	healthCtx, stopHealth := context.WithCancel(context.Background())
	healthDone := make(chan struct{})
	go func() { s.health.Run(healthCtx); close(healthDone) }()
	ingestDone := make(chan error, 1)
	go func() { ingestDone <- s.ingest.Serve(s.rtmpLn) }()

	srv := &http.Server{
		Handler:           bodyDeadline(s.handler, s.cfg.BodyReadTimeout),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(s.httpLn) }()

	var err error
	select {
	case <-ctx.Done():
	case <-s.lease.Lost():
		err = s.lease.Err()
	case err = <-httpDone:
		err = fmt.Errorf("http server: %w", err)
	case err = <-ingestDone:
		err = fmt.Errorf("rtmp server: %w", err)
	}
	s.log.Info("stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shutdownCtx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		s.log.Warn("http shutdown", "err", serr)
	}
	// The controller finishes the step in flight; then the publishers go, and
	// each ffmpeg finishes its segments. Runs stay RUNNING in the store: the next
	// start resumes them.
	stopCtrl()
	<-ctrlDone
	<-schedDone
	<-reapDone
	<-syncDone
	<-cleanDone
	// The health history stops first: the engine's shutdown takes the runs
	// down, which the monitor would take for their end and clear their
	// alerts, while they go on at the next start.
	stopHealth()
	<-healthDone
	s.ingest.Close()
	s.engine.Shutdown(shutdownCtx)
	stopEvents()
	<-eventsDone
	s.origin.Close()
	s.provisions.Locator.Close()
	// Only now that this server runs nothing may a standby take over.
	s.releaseLease()
	if cerr := s.store.Close(); cerr != nil {
		s.log.Warn("closing store", "err", cerr)
	}
	s.log.Info("stopped")
	return err
}
