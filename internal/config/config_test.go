package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Data != "./data" || c.HTTP != ":8080" || c.RTMP != ":1935" || c.Region != "local" {
		t.Errorf("defaults: %+v", c)
	}
	if c.Database != "sqlite://data/onair.db" {
		t.Errorf("database default %q", c.Database)
	}
	if c.PublicURL != "http://localhost:8080" || c.IngestHost() != "localhost" {
		t.Errorf("public url default %q", c.PublicURL)
	}
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "onair.yml")
	os.WriteFile(file, []byte("http: \":7000\"\nregion: from-file\nrtmp: \":1000\"\n"), 0o644)
	c, err := Load([]string{"--config", file, "--region", "from-flag"}, env(map[string]string{
		"ONAIR_REGION": "from-env", "ONAIR_RTMP": ":2000", "ONAIR_PUBLIC_URL": "https://live.example.com/",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP != ":7000" || c.RTMP != ":2000" || c.Region != "from-flag" {
		t.Errorf("precedence wrong: %+v", c)
	}
	if c.PublicURL != "https://live.example.com" || c.IngestHost() != "live.example.com" {
		t.Errorf("public url %q", c.PublicURL)
	}
}

func TestConfigFromEnv(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "onair.yml")
	os.WriteFile(file, []byte("data: /srv/onair\n"), 0o644)
	c, err := Load(nil, env(map[string]string{"ONAIR_CONFIG": file}), io.Discard)
	if err != nil || c.Data != "/srv/onair" || c.Database != "sqlite:///srv/onair/onair.db" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.yml")
	os.WriteFile(unknown, []byte("http: \":1\"\nhttpPort: 8080\n"), 0o644)
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown key", []string{"--config", unknown}, nil, "httpPort"},
		{"missing file", []string{"--config", filepath.Join(dir, "nope.yml")}, nil, "no such file"},
		{"bad http", []string{"--http", "8080"}, nil, "http:"},
		{"bad database", []string{"--database", "mysql://x"}, nil, "database:"},
		{"bad public url", nil, map[string]string{"ONAIR_PUBLIC_URL": "live.example.com"}, "publicUrl:"},
		{"bad region", []string{"--region", "US East"}, nil, "region:"},
		{"bad level", []string{"--log-level", "loud"}, nil, "logLevel:"},
		{"unknown flag", []string{"--port", "1"}, nil, "port"},
		{"stray argument", []string{"extra"}, nil, "extra"},
	}
	for _, tc := range cases {
		_, err := Load(tc.args, env(tc.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

// TestSampleConfig parses the committed sample strictly and checks that it lists
// every key, each with a comment just above it.
func TestSampleConfig(t *testing.T) {
	raw, err := os.ReadFile("../../onair.sample.yml")
	if err != nil {
		t.Fatal(err)
	}
	c := Defaults()
	if err := decodeYAML(raw, &c); err != nil {
		t.Fatalf("sample does not parse: %v", err)
	}
	c.fill()
	if err := c.Validate(); err != nil {
		t.Fatalf("sample is not valid: %v", err)
	}
	lines := strings.Split(string(raw), "\n")
	for _, f := range fields() {
		found := false
		for i, l := range lines {
			if strings.HasPrefix(l, f.yaml+":") {
				found = true
				if i == 0 || !strings.HasPrefix(lines[i-1], "#") {
					t.Errorf("key %s has no comment above it", f.yaml)
				}
			}
		}
		if !found {
			t.Errorf("sample lacks key %s", f.yaml)
		}
	}
}

// TestAdminCredentials come from the environment or the file, never from flags.
func TestAdminCredentials(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"ONAIR_ADMIN_API_KEY": "0123456789abcdefghij", "ONAIR_ADMIN_EMAIL": "a@b.c", "ONAIR_ADMIN_PASSWORD": "password1"}), io.Discard)
	if err != nil || c.AdminAPIKey != "0123456789abcdefghij" || c.AdminEmail != "a@b.c" || c.AdminPassword != "password1" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := Load([]string{"--admin-api-key", "x"}, env(nil), io.Discard); err == nil {
		t.Error("a secret was accepted as a flag")
	}
	if _, err := Load(nil, env(map[string]string{"ONAIR_ADMIN_EMAIL": "a@b.c"}), io.Discard); err == nil {
		t.Error("an admin email without a password was accepted")
	}
	if _, err := Load(nil, env(map[string]string{"ONAIR_ADMIN_API_KEY": "short"}), io.Discard); err == nil {
		t.Error("a short admin key was accepted")
	}
}

// TestTypedSettings: booleans and durations come from the file, the
// environment and flags alike, and a bad value names its setting.
func TestTypedSettings(t *testing.T) {
	c, err := Load(nil, env(nil), io.Discard)
	if err != nil || !c.Standby || c.BodyReadTimeout != 30*time.Second || c.MetricsToken != "" {
		t.Fatalf("defaults: standby %v, bodyReadTimeout %v, metricsToken %q, %v", c.Standby, c.BodyReadTimeout, c.MetricsToken, err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "onair.yml")
	os.WriteFile(file, []byte("standby: false\nbodyReadTimeout: 2m\nmetricsToken: from-the-file-0123456789\n"), 0o644)
	c, err = Load([]string{"--config", file}, env(nil), io.Discard)
	if err != nil || c.Standby || c.BodyReadTimeout != 2*time.Minute || c.MetricsToken != "from-the-file-0123456789" {
		t.Fatalf("from file: %v %v %q %v", c.Standby, c.BodyReadTimeout, c.MetricsToken, err)
	}
	c, err = Load([]string{"--config", file, "--standby", "--body-read-timeout", "5s"},
		env(map[string]string{"ONAIR_METRICS_TOKEN": "from-the-env-0123456789", "ONAIR_BODY_READ_TIMEOUT": "1m"}), io.Discard)
	if err != nil || !c.Standby || c.BodyReadTimeout != 5*time.Second || c.MetricsToken != "from-the-env-0123456789" {
		t.Fatalf("flags over env over file: %v %v %q %v", c.Standby, c.BodyReadTimeout, c.MetricsToken, err)
	}
	c, err = Load([]string{"--standby=false"}, env(map[string]string{"ONAIR_STANDBY": "true"}), io.Discard)
	if err != nil || c.Standby {
		t.Fatalf("--standby=false: %v %v", c.Standby, err)
	}
	c, err = Load(nil, env(map[string]string{"ONAIR_STANDBY": "false"}), io.Discard)
	if err != nil || c.Standby {
		t.Fatalf("ONAIR_STANDBY=false: %v %v", c.Standby, err)
	}

	short := filepath.Join(dir, "short.yml")
	os.WriteFile(short, []byte("bodyReadTimeout: 30\n"), 0o644)
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad bool in env", nil, map[string]string{"ONAIR_STANDBY": "maybe"}, `standby (ONAIR_STANDBY): must be true or false, got "maybe"`},
		{"bad bool flag", []string{"--standby=maybe"}, nil, `standby (--standby): must be true or false`},
		{"bad duration", []string{"--body-read-timeout", "soon"}, nil, `bodyReadTimeout (--body-read-timeout): must be a duration`},
		{"zero duration", nil, map[string]string{"ONAIR_BODY_READ_TIMEOUT": "0s"}, "bodyReadTimeout: must be at least 1s"},
		{"a bare number in the file", []string{"--config", short}, nil, "into time.Duration"},
		{"short metrics token", nil, map[string]string{"ONAIR_METRICS_TOKEN": "short"}, "metricsToken: must be at least 20 characters"},
	}
	for _, tc := range cases {
		_, err := Load(tc.args, env(tc.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}
