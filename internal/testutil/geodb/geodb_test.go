package geodb_test

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/oschwald/maxminddb-golang/v2"

	"onair/internal/testutil/geodb"
)

type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
	Continent struct {
		Code string `maxminddb:"code"`
	} `maxminddb:"continent"`
}

func TestWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.mmdb")
	geodb.Write(t, path, map[string]geodb.Place{
		"0.0.0.0/0":      {Country: "ZZ", Continent: "AN"},
		"127.0.0.0/8":    {Country: "US", Continent: "NA"},
		"127.1.0.0/16":   {Country: "CA", Continent: "NA"},
		"::1/128":        {Country: "FR", Continent: "EU"},
		"2a00:1450::/32": {Country: "IE", Continent: "EU"},
	})
	db, err := maxminddb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if got := db.Metadata.DatabaseType; got != "GeoLite2-Country" {
		t.Errorf("DatabaseType = %q, want GeoLite2-Country", got)
	}
	if got := db.Metadata.IPVersion; got != 6 {
		t.Errorf("IPVersion = %d, want 6", got)
	}

	tests := []struct {
		ip                 string
		country, continent string
	}{
		{"127.0.0.1", "US", "NA"},
		{"127.1.2.3", "CA", "NA"}, // the narrower network wins
		{"8.8.8.8", "ZZ", "AN"},
		{"::ffff:127.0.0.1", "US", "NA"}, // IPv4-mapped, through the alias
		{"::1", "FR", "EU"},
		{"2a00:1450::1", "IE", "EU"},
		{"2a01::1", "", ""},
	}
	for _, tt := range tests {
		var rec record
		if err := db.Lookup(netip.MustParseAddr(tt.ip)).Decode(&rec); err != nil {
			t.Errorf("lookup %s: %v", tt.ip, err)
			continue
		}
		if rec.Country.ISOCode != tt.country || rec.RegisteredCountry.ISOCode != tt.country || rec.Continent.Code != tt.continent {
			t.Errorf("%s = %+v, want country and registered_country %q, continent %q", tt.ip, rec, tt.country, tt.continent)
		}
	}
}

// fatalTB records the first Fatalf and ends its goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestWriteBadNetwork(t *testing.T) {
	tb := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		geodb.Write(tb, filepath.Join(t.TempDir(), "bad.mmdb"), map[string]geodb.Place{"127.0.0.1": {Country: "US"}})
	}()
	<-done
	if !strings.Contains(tb.msg, `"127.0.0.1"`) {
		t.Errorf("Write with a bare address failed with %q, want a message naming it", tb.msg)
	}
}
