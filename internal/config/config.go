// Package config reads the server's settings: defaults, then an optional YAML
// file, then ONAIR_* environment variables, then flags, each overriding the last.
package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"onair/internal/domain"
	"onair/internal/health"
	"onair/internal/storage"
)

// Config is every server setting. Workflows, channels and schedules are data in
// the store, not configuration.
type Config struct {
	Data       string `yaml:"data" flag:"data" usage:"data directory: the SQLite database, live/, archive/ and clips/"`
	HTTP       string `yaml:"http" flag:"http" usage:"HTTP listen address: API, docs, console and HLS playback"`
	RTMP       string `yaml:"rtmp" flag:"rtmp" usage:"RTMP ingest listen address"`
	Database   string `yaml:"database" flag:"database" usage:"sqlite://PATH or postgres://…; SQLite in the data directory when empty"`
	PublicURL  string `yaml:"publicUrl" flag:"public-url" usage:"base of every URL onair hands out (playback, ingest host); derived from --http when empty"`
	Region     string `yaml:"region" flag:"region" usage:"name of the region this server forms"`
	LiveDomain string `yaml:"liveDomain" flag:"live-domain" usage:"host name of the CDN in front of the origin, for the Streams API's viewer_endpoint_cloudfront; the origin when empty"`
	FFmpeg     string `yaml:"ffmpeg" flag:"ffmpeg" usage:"path of the ffmpeg binary"`
	FFprobe    string `yaml:"ffprobe" flag:"ffprobe" usage:"path of the ffprobe binary"`
	LogLevel   string `yaml:"logLevel" flag:"log-level" usage:"debug, info, warn or error"`
	LogFormat  string `yaml:"logFormat" flag:"log-format" usage:"text or json"`
	// Standby decides what a server does when another live server holds the
	// store's lease: wait and take over (true), or exit 1 (false).
	Standby bool `yaml:"standby" flag:"standby" usage:"when another server holds the store, wait and take over when it is gone (false: exit 1)"`
	// BodyReadTimeout bounds how long a client may take to send a request body,
	// so that slow senders cannot hold connections open.
	BodyReadTimeout time.Duration `yaml:"bodyReadTimeout" flag:"body-read-timeout" usage:"how long a client may take to send a request body, a duration such as 30s"`
	// MetricsToken lets Prometheus scrape /metrics as Authorization: Bearer.
	MetricsToken string `yaml:"metricsToken" flag:"metrics-token" usage:"token that /metrics accepts as Authorization: Bearer (better from the environment than a flag, which ps shows); server admins' credentials work too"`
	// The health history and its alerts.
	MetricsRetention time.Duration `yaml:"metricsRetention" flag:"metrics-retention" usage:"how long the channels' health history is kept at 1 min (10 s points are kept for a run's life), a duration such as 720h"`
	AlertWebhook     string        `yaml:"alertWebhook" flag:"alert-webhook" usage:"http(s) URL that receives each alert raised or cleared as JSON (a blueprint's alertWebhook goes first)"`
	// Object storage: where archives go, and where bucket destinations push.
	Storage         string        `yaml:"storage" flag:"storage" usage:"where archives and clips are kept: local (the data directory) or s3://bucket/prefix on an S3-compatible service, with the standard AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, or an instance role)"`
	S3Endpoint      string        `yaml:"s3Endpoint" flag:"s3-endpoint" usage:"URL of the S3-compatible service, such as http://127.0.0.1:7070 (addressed path-style); AWS S3 when empty"`
	ArchiveDownload string        `yaml:"archiveDownload" flag:"archive-download" usage:"how /archive/ serves what is in a bucket: proxy (read through onair) or redirect (to a signed URL of the bucket; playlists are always read through)"`
	DownloadTTL     time.Duration `yaml:"downloadTtl" flag:"download-ttl" usage:"how long a signed download URL works, with --archive-download redirect"`
	CDNBaseURL      string        `yaml:"cdnBaseUrl" flag:"cdn-base-url" usage:"base URL of the CDN in front of the storage bucket's prefix (a CloudFront distribution); channels that push to the storage (mediastoressl://) show <base>/live/<workflowId>/<pipeline>/master.m3u8 as their playerPreview"`
	RetentionDryRun bool          `yaml:"retentionDryRun" flag:"retention-dry-run" usage:"the archive cleaner logs what blueprints' archiveRetentionDays would delete, and deletes nothing"`
	// Stream Manager provisions.
	ProvisionGrace        time.Duration `yaml:"provisionGrace" flag:"provision-grace" usage:"how long a provision's run waits for its publisher to come back before it stops and its archive is finalized, a duration such as 30s"`
	ProvisionsRequireAuth bool          `yaml:"provisionsRequireAuth" flag:"provisions-require-auth" usage:"refuse the publishers of provisions that have no authentication (which otherwise take any publisher, as in Red5)"`
	// Where a viewer is, for provisions' georules.
	GeoHeader string `yaml:"geoHeader" flag:"geo-header" usage:"request header that a trusted proxy or CDN in front of onair sets to the viewer's country, such as CF-IPCountry or CloudFront-Viewer-Country; never read unless named here"`
	GeoIPDB   string `yaml:"geoipDb" flag:"geoip-db" usage:"MaxMind-format country database (GeoLite2-Country.mmdb) that viewers' addresses are looked up in"`
	// Playout profiles.
	PlayoutKeyProvider string `yaml:"playoutKeyProvider" flag:"playout-key-provider" usage:"URL of a key provider that resolves the content_id of a THIRDPARTY DRM entry without a key: GET <url>?content_id=<id>&key_id=<kid>, answered with {\"key\": \"<hex or base64>\"}"`
	// Bootstrap credentials: secrets, so they come from the environment or the
	// file, never from flags that ps would show.
	AdminAPIKey   string `yaml:"adminApiKey" env:"ONAIR_ADMIN_API_KEY" usage:"an API key to create (or keep) for the first organization's server admin"`
	AdminEmail    string `yaml:"adminEmail" env:"ONAIR_ADMIN_EMAIL" usage:"email of a server admin user to create on first start"`
	AdminPassword string `yaml:"adminPassword" env:"ONAIR_ADMIN_PASSWORD" usage:"that user's password"`
}

// headerPattern is an HTTP header name (RFC 9110 token).
var headerPattern = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")

// Defaults returns the settings used when nothing else is given.
func Defaults() Config {
	return Config{
		Data:      "./data",
		HTTP:      ":8080",
		RTMP:      ":1935",
		Region:    "local",
		FFmpeg:    "ffmpeg",
		FFprobe:   "ffprobe",
		LogLevel:  "info",
		LogFormat: "text",
		Standby:   true,
		// A body is at most 1 MiB: 30 s is time enough on the slowest link.
		BodyReadTimeout:  30 * time.Second,
		ProvisionGrace:   30 * time.Second,
		MetricsRetention: health.DefaultRetention,
		Storage:          storage.Local,
		ArchiveDownload:  "proxy",
		DownloadTTL:      time.Hour,
	}
}

// envName is the environment variable for a flag: --public-url is ONAIR_PUBLIC_URL.
func envName(flagName string) string {
	return "ONAIR_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Load builds the configuration for `onair serve` from its arguments and the
// environment. --config (or ONAIR_CONFIG) names a YAML file; an unknown key in it
// is an error.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	cfg := Defaults()
	fs := flag.NewFlagSet("onair serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration file (env ONAIR_CONFIG)")
	for _, f := range fields() {
		switch usage := f.usage + " (env " + f.env + ")"; {
		case f.flag == "":
		case f.kind == reflect.String:
			fs.String(f.flag, f.get(&cfg), usage)
		default:
			fs.Var(&textFlag{value: f.get(&cfg), isBool: f.kind == reflect.Bool}, f.flag, usage)
		}
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	path := *configPath
	if path == "" {
		path = getenv("ONAIR_CONFIG")
	}
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if err := decodeYAML(raw, &cfg); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	var errs []error
	for _, f := range fields() {
		if v, ok := lookupEnv(getenv, f.env); ok {
			if err := f.set(&cfg, v); err != nil {
				errs = append(errs, fmt.Errorf("%s (%s): %w", f.yaml, f.env, err))
			}
		}
	}
	fs.Visit(func(fl *flag.Flag) {
		for _, f := range fields() {
			if f.flag == fl.Name {
				if err := f.set(&cfg, fl.Value.String()); err != nil {
					errs = append(errs, fmt.Errorf("%s (--%s): %w", f.yaml, f.flag, err))
				}
			}
		}
	})
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	cfg.fill()
	return cfg, cfg.Validate()
}

func lookupEnv(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// decodeYAML reads a config file strictly: unknown keys are errors.
func decodeYAML(raw []byte, cfg *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// fill derives the settings that default from others.
func (c *Config) fill() {
	if c.Database == "" {
		c.Database = "sqlite://" + filepath.Join(c.Data, "onair.db")
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + hostPort(c.HTTP, "localhost")
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
}

// hostPort turns a listen address into one a client can dial, using host when
// the address listens on every interface.
func hostPort(addr, host string) string {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if h == "" || h == "0.0.0.0" || h == "::" {
		h = host
	}
	return net.JoinHostPort(h, p)
}

var regionPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Validate checks every setting and names the first bad one.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	if c.Data == "" {
		bad("data", "must not be empty")
	}
	for _, a := range []struct{ key, addr string }{{"http", c.HTTP}, {"rtmp", c.RTMP}} {
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			bad(a.key, "must be host:port or :port, got %q", a.addr)
		}
	}
	if !strings.HasPrefix(c.Database, "sqlite://") && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		bad("database", "must start with sqlite:// or postgres://, got %q", c.Database)
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("publicUrl", "must be an http:// or https:// URL, got %q", c.PublicURL)
	}
	if !regionPattern.MatchString(c.Region) {
		bad("region", "must be lower-case letters, digits and '-', got %q", c.Region)
	}
	if c.LiveDomain != "" && (strings.ContainsAny(c.LiveDomain, "/: ") || strings.HasPrefix(c.LiveDomain, ".")) {
		bad("liveDomain", "must be a host name such as cdn.example.com, got %q", c.LiveDomain)
	}
	if c.ProvisionGrace < time.Second || c.ProvisionGrace > time.Hour {
		bad("provisionGrace", "must be from 1s to 1h, got %s", c.ProvisionGrace)
	}
	if c.GeoHeader != "" && !headerPattern.MatchString(c.GeoHeader) {
		bad("geoHeader", "must be an HTTP header name such as CF-IPCountry, got %q", c.GeoHeader)
	}
	if c.FFmpeg == "" {
		bad("ffmpeg", "must not be empty")
	}
	if c.FFprobe == "" {
		bad("ffprobe", "must not be empty")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("logLevel", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("logFormat", "must be text or json, got %q", c.LogFormat)
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		bad("adminEmail", "and adminPassword (ONAIR_ADMIN_EMAIL, ONAIR_ADMIN_PASSWORD) go together")
	}
	if c.AdminAPIKey != "" && len(c.AdminAPIKey) < 20 {
		bad("adminApiKey", "must be at least 20 characters (ONAIR_ADMIN_API_KEY)")
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 20 {
		bad("metricsToken", "must be at least 20 characters (ONAIR_METRICS_TOKEN)")
	}
	if c.MetricsRetention < time.Hour {
		bad("metricsRetention", "must be at least 1h, such as 720h, got %v", c.MetricsRetention)
	}
	if c.AlertWebhook != "" {
		if err := domain.CheckWebhookURL(c.AlertWebhook); err != nil {
			bad("alertWebhook", "%v", err)
		}
	}
	if _, err := storage.ParseLocation(c.Storage); err != nil {
		bad("storage", "%v", err)
	}
	if c.ArchiveDownload != "proxy" && c.ArchiveDownload != "redirect" {
		bad("archiveDownload", "must be proxy or redirect, got %q", c.ArchiveDownload)
	}
	if c.DownloadTTL < time.Minute || c.DownloadTTL > 7*24*time.Hour {
		bad("downloadTtl", "must be from 1m to 168h (what S3 signs at most), got %v", c.DownloadTTL)
	}
	if c.S3Endpoint != "" {
		if u, err := url.Parse(c.S3Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
			bad("s3Endpoint", "must be http(s)://host[:port], got %q", c.S3Endpoint)
		}
	}
	if c.CDNBaseURL != "" {
		if u, err := url.Parse(c.CDNBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			bad("cdnBaseUrl", "must be an http(s):// URL, got %q", c.CDNBaseURL)
		}
	}
	if c.BodyReadTimeout < time.Second {
		bad("bodyReadTimeout", "must be at least 1s, such as 30s, got %v", c.BodyReadTimeout)
	}
	return errors.Join(errs...)
}

// IngestHost is the host (without port) that RTMP URLs handed to encoders use:
// the public URL's.
func (c *Config) IngestHost() string {
	u, err := url.Parse(c.PublicURL)
	if err != nil {
		return "localhost"
	}
	return u.Hostname()
}

// field is one setting, reached by reflection so that the flag, the
// environment variable and the YAML key are declared once, on the struct.
// Settings are strings, booleans or durations.
type field struct {
	flag, env, yaml, usage string
	index                  int
	kind                   reflect.Kind
	duration               bool
}

var durationType = reflect.TypeOf(time.Duration(0))

// get is the setting as text, as a flag shows its default.
func (f field) get(c *Config) string {
	v := reflect.ValueOf(c).Elem().Field(f.index)
	switch {
	case f.duration:
		return time.Duration(v.Int()).String()
	case f.kind == reflect.Bool:
		return strconv.FormatBool(v.Bool())
	}
	return v.String()
}

// set parses text (from the environment or a flag) into the setting.
func (f field) set(c *Config, s string) error {
	v := reflect.ValueOf(c).Elem().Field(f.index)
	switch {
	case f.duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("must be a duration such as 30s or 1m, got %q", s)
		}
		v.SetInt(int64(d))
	case f.kind == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("must be true or false, got %q", s)
		}
		v.SetBool(b)
	default:
		v.SetString(s)
	}
	return nil
}

func fields() []field {
	t := reflect.TypeOf(Config{})
	out := make([]field, t.NumField())
	for i := range out {
		sf := t.Field(i)
		out[i] = field{flag: sf.Tag.Get("flag"), env: sf.Tag.Get("env"), yaml: sf.Tag.Get("yaml"), usage: sf.Tag.Get("usage"),
			index: i, kind: sf.Type.Kind(), duration: sf.Type == durationType}
		if out[i].env == "" {
			out[i].env = envName(out[i].flag)
		}
	}
	return out
}

// textFlag is a flag's value kept as text until Load parses it with the
// setting's own rules, so that a flag and its environment variable accept
// the same values. isBool lets a boolean flag stand alone: --standby.
type textFlag struct {
	value  string
	isBool bool
}

func (t *textFlag) String() string {
	if t == nil {
		return ""
	}
	return t.value
}

func (t *textFlag) Set(v string) error { t.value = v; return nil }

// IsBoolFlag tells package flag that "--standby" alone means true.
func (t *textFlag) IsBoolFlag() bool { return t.isBool }
