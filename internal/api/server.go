// Package api is onair's HTTP API: the workflow API in the IOIO Live v4 shapes.
// It validates and records intent in the store and tells the controller; it never
// starts a process itself. Every route is declared once, in routes(), with its
// OpenAPI description, so that the served spec and the handlers cannot drift.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"onair/internal/auth"
	"onair/internal/catalog"
	"onair/internal/channels"
	"onair/internal/openapi"
	"onair/internal/storage"
	"onair/internal/store"
)

// Notifier is told when the store changed in a way the controller acts on.
type Notifier interface{ Notify() }

// Options are the server's dependencies and settings.
type Options struct {
	Store      store.Store
	Catalog    *catalog.Catalog
	Controller Notifier
	Scheduler  Notifier // told when a schedule changes; may be nil
	// Channels starts and stops channels; one over Store, NewID, Now and
	// Controller when nil.
	Channels   *channels.Service
	Region     string // the default (and, on one node, only) region
	PublicURL  string // base of playback URLs, without a trailing slash
	IngestHost string // host:port that encoders push RTMP to
	// LiveDomain is the host name of the CDN in front of the origin (such as
	// cdn.example.com), for the Streams API's viewer_endpoint_cloudfront; the
	// origin's URL is given when empty.
	LiveDomain string
	// DataDir and FFmpeg are where clips are written and what cuts them.
	DataDir string
	FFmpeg  string
	Log     *slog.Logger
	Now     func() time.Time
	NewID   func() string
	Metrics *Metrics // nil: no metrics
	// Tokens signs and verifies idTokens; nil refuses every bearer token.
	Tokens *auth.Tokens
	// Limiter slows down repeated failed logins; one is made when nil.
	Limiter *auth.Limiter
	// Playout is the playout profiles' sync controller.
	Playout Playout
	// Health reads the channels' health history; nil answers no data.
	Health Health
	// StopWait bounds how long DELETE /api/streams/{id} waits for a stopped
	// stream's last session to finish its archive; DefaultStopWait when 0.
	StopWait time.Duration
	// Storage is where archives are kept (the data directory, or a bucket
	// over it); the data directory alone when nil.
	Storage *storage.Set
	// CDNBaseURL is the CDN in front of the storage bucket's prefix, for the
	// preview of channels that push to it; the bucket's own URL when empty.
	CDNBaseURL string
}

// DefaultStopWait is how long a stream's delete waits for its last session
// to end: its archive's MP4 is a stream copy, seconds for hours of video.
const DefaultStopWait = 30 * time.Second

// Server serves the API.
type Server struct {
	Options
	log      *slog.Logger
	channels *channels.Service
}

// New returns a Server; Handler gives its routes.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewID == nil {
		o.NewID = uuid.NewString
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Catalog == nil {
		o.Catalog = catalog.New()
	}
	if o.Limiter == nil {
		o.Limiter = auth.NewLimiter(5, 15*time.Minute, o.Now)
	}
	if o.Storage == nil && o.DataDir != "" {
		if disk, err := storage.NewDisk(o.DataDir); err == nil {
			o.Storage, _ = storage.NewSet(disk, storage.Location{}, storage.S3Config{})
		}
	}
	s := &Server{Options: o, log: o.Log.With("component", "api")}
	s.channels = o.Channels
	if s.channels == nil {
		s.channels = &channels.Service{Store: o.Store, NewID: o.NewID, Now: o.Now}
		if o.Controller != nil {
			s.channels.Notify = o.Controller.Notify
		}
	}
	return s
}

// org is the organization a request acts in: its principal's.
func (s *Server) org(r *http.Request) string { return principal(r).OrgID }

func (s *Server) now() time.Time { return s.Now().UTC() }

// handlerFunc is an API handler: it writes a success itself and returns errors
// for writeError to map.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one API operation: its documentation and its handler.
type route struct {
	op openapi.Operation
	h  handlerFunc
}

// Register adds every API route to mux.
func (s *Server) Register(mux *http.ServeMux) {
	for _, rt := range s.routes() {
		h, fail := rt.h, s.writeError
		red5 := red5Operations[rt.op.OperationID]
		if red5 {
			fail = s.writeRed5Error
		}
		var handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				fail(w, r, err)
			}
		})
		if !rt.op.Public {
			perm, _ := Permission(rt.op.Method, rt.op.OperationID)
			handler = s.guardWith(perm, handler, red5, fail)
		}
		handler = s.Metrics.Instrument(rt.op.Path, handler)
		mux.Handle(rt.op.Method+" "+rt.op.Path, handler)
		if alias := aliases[rt.op.OperationID]; alias != "" {
			mux.Handle(alias, handler)
		}
	}
}

// Operations returns the OpenAPI description of every API route.
func (s *Server) Operations() []openapi.Operation {
	rts := s.routes()
	ops := make([]openapi.Operation, len(rts))
	for i, rt := range rts {
		ops[i] = rt.op
	}
	return ops
}
