package geo_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"onair/internal/geo"
	"onair/internal/testutil/geodb"
)

// testDB writes the database the tests share and returns its path.
func testDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "GeoLite2-Country.mmdb")
	geodb.Write(t, path, map[string]geodb.Place{
		"127.0.0.0/8":     {Country: "US", Continent: "NA"},
		"::1/128":         {Country: "FR", Continent: "EU"},
		"81.2.69.0/24":    {Country: "GB", Continent: "EU"},
		"2a00:1450::/32":  {Country: "IE", Continent: "EU"},
		"fe80::/10":       {Country: "JP", Continent: "AS"},
		"198.51.100.0/24": {Continent: "EU"},
	})
	return path
}

func open(t *testing.T, header, dbPath string) *geo.Locator {
	t.Helper()
	l, err := geo.Open(header, dbPath)
	if err != nil {
		t.Fatalf("Open(%q, %q): %v", header, dbPath, err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

func TestCountry(t *testing.T) {
	db := testDB(t)
	locators := map[string]*geo.Locator{
		"header":        open(t, "CF-IPCountry", ""),
		"db":            open(t, "", db),
		"header+db":     open(t, "CF-IPCountry", db),
		"cloudfront+db": open(t, "CloudFront-Viewer-Country", db),
		"lowercase":     open(t, "cf-ipcountry", ""),
	}
	us := "US"
	tests := []struct {
		name    string
		locator string
		remote  string
		headers [][2]string
		want    string
	}{
		{"trusted header wins over database", "header+db", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "CA"}}, "CA"},
		{"trusted header only", "header", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "CA"}}, "CA"},
		{"trusted header trimmed and upper-cased", "header+db", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", " gb\t"}}, "GB"},
		{"header name given in lower case", "lowercase", "127.0.0.1:5000", [][2]string{{"Cf-Ipcountry", "DE"}}, "DE"},
		{"header absent falls to database", "header+db", "127.0.0.1:5000", nil, us},
		{"header absent, no database", "header", "127.0.0.1:5000", nil, ""},
		{"XX is unknown, not the proxy's address", "header+db", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "XX"}}, ""},
		{"T1 is unknown, not the proxy's address", "header+db", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "T1"}}, ""},
		{"lower-case xx is unknown too", "header", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "xx"}}, ""},
		{"XX without database", "header", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "XX"}}, ""},
		{"T1 without database", "header", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "T1"}}, ""},
		{"empty value", "header+db", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", ""}}, ""},
		{"three letters", "header+db", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "USA"}}, ""},
		{"digits", "header", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "12"}}, ""},
		{"inner space", "header", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "U S"}}, ""},
		{"non-ASCII that upper-cases to US", "header", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "uſ"}}, ""},
		{"an address, not a country", "header", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "81.2.69.142"}}, ""},
		{"header sent twice", "header+db", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "CA"}, {"CF-IPCountry", "CA"}}, ""},
		{"untrusted CF-IPCountry ignored", "db", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "CA"}}, us},
		{"CF-IPCountry ignored when CloudFront's is trusted", "cloudfront+db", "127.0.0.1:5000", [][2]string{{"CF-IPCountry", "CA"}}, us},
		{"CloudFront header trusted", "cloudfront+db", "127.0.0.1:5000", [][2]string{{"CloudFront-Viewer-Country", "CA"}}, "CA"},
		{"X-Forwarded-For ignored", "db", "127.0.0.1:5000", [][2]string{{"X-Forwarded-For", "81.2.69.142"}, {"X-Real-IP", "81.2.69.142"}, {"Forwarded", "for=81.2.69.142"}}, us},
		{"X-Forwarded-For ignored without database", "header", "127.0.0.1:5000", [][2]string{{"X-Forwarded-For", "81.2.69.142"}}, ""},
		{"IPv4", "db", "81.2.69.142:443", nil, "GB"},
		{"IPv6", "db", "[2a00:1450:4001::8]:443", nil, "IE"},
		{"IPv6 loopback", "db", "[::1]:443", nil, "FR"},
		{"IPv4-mapped IPv6", "db", "[::ffff:81.2.69.142]:443", nil, "GB"},
		{"IPv6 with zone", "db", "[fe80::1%eth0]:443", nil, "JP"},
		{"continent only: no country", "db", "198.51.100.7:443", nil, ""},
		{"unknown IPv4", "db", "8.8.8.8:53", nil, ""},
		{"unknown IPv6", "db", "[2001:db8::1]:53", nil, ""},
		{"remote address without port", "db", "127.0.0.1", nil, ""},
		{"remote address not an address", "db", "@", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/live/stream1/index.m3u8", nil)
			r.RemoteAddr = tt.remote
			for _, h := range tt.headers {
				r.Header.Add(h[0], h[1])
			}
			if got := locators[tt.locator].Country(r); got != tt.want {
				t.Errorf("Country from %s with %v = %q, want %q", tt.remote, tt.headers, got, tt.want)
			}
		})
	}
}

// writeRaw writes a database of type dbType holding one record for cidr,
// for layouts geodb does not make.
func writeRaw(t *testing.T, dbType string, ipVersion int, cidr string, rec mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, IPVersion: ipVersion, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	_, network, err := net.ParseCIDR(cidr)
	if err != nil {
		t.Fatal(err)
	}
	if err := tree.Insert(network, rec); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), dbType+".mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCountryRegisteredCountry(t *testing.T) {
	path := writeRaw(t, "GeoIP2-Country", 6, "127.0.0.0/8", mmdbtype.Map{
		"continent":          mmdbtype.Map{"code": mmdbtype.String("NA"), "geoname_id": mmdbtype.Uint32(6255149)},
		"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("US"), "geoname_id": mmdbtype.Uint32(6252001)},
	})
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	if got, want := open(t, "", path).Country(r), "US"; got != want {
		t.Errorf("Country with only registered_country = %q, want %q", got, want)
	}
}

// An IPv4-only database refuses IPv6 addresses, so a mapped address must be
// unmapped before the lookup.
func TestCountryMappedInIPv4Database(t *testing.T) {
	path := writeRaw(t, "GeoLite2-Country", 4, "81.2.69.0/24", mmdbtype.Map{
		"country":   mmdbtype.Map{"iso_code": mmdbtype.String("GB")},
		"continent": mmdbtype.Map{"code": mmdbtype.String("EU")},
	})
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "[::ffff:81.2.69.142]:443"
	if got, want := open(t, "", path).Country(r), "GB"; got != want {
		t.Errorf("Country from %s = %q, want %q", r.RemoteAddr, got, want)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.mmdb")
	if err := os.WriteFile(garbage, []byte("this is not a MaxMind database\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	asn := writeRaw(t, "GeoLite2-ASN", 6, "81.2.69.0/24", mmdbtype.Map{
		"autonomous_system_number": mmdbtype.Uint32(20712),
	})
	tests := []struct {
		name, header, path, want string
	}{
		{"missing file", "", filepath.Join(dir, "missing.mmdb"), filepath.Join(dir, "missing.mmdb")},
		{"not an mmdb file", "", garbage, garbage},
		{"a directory", "", dir, dir},
		{"not a country database", "", asn, asn},
		{"not a country database names its type", "", asn, `"GeoLite2-ASN"`},
		{"header name with a space", "CF IPCountry", "", `"CF IPCountry"`},
		{"header name with a colon", "CF-IPCountry:", "", `"CF-IPCountry:"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := geo.Open(tt.header, tt.path)
			if err == nil {
				l.Close()
				t.Fatalf("Open(%q, %q) succeeded, want an error", tt.header, tt.path)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open(%q, %q) error %q does not name %s", tt.header, tt.path, err, tt.want)
			}
		})
	}
}

func TestConfigured(t *testing.T) {
	db := testDB(t)
	tests := []struct {
		name         string
		header, path string
		want         bool
	}{
		{"nothing", "", "", false},
		{"header", "CF-IPCountry", "", true},
		{"database", "", db, true},
		{"both", "CF-IPCountry", db, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := open(t, tt.header, tt.path).Configured(); got != tt.want {
				t.Errorf("Configured() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUnconfigured(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	r.Header.Set("CF-IPCountry", "US")
	r.Header.Set("X-Forwarded-For", "81.2.69.142")

	var nilLocator *geo.Locator
	if nilLocator.Configured() {
		t.Error("nil locator is configured")
	}
	if got := nilLocator.Country(r); got != "" {
		t.Errorf("nil locator Country = %q, want nil", got)
	}
	if err := nilLocator.Close(); err != nil {
		t.Errorf("nil locator Close: %v", err)
	}
	if got := open(t, "", "").Country(r); got != "" {
		t.Errorf("empty locator Country = %q, want nil", got)
	}
}

func TestCountryConcurrent(t *testing.T) {
	l := open(t, "CF-IPCountry", testDB(t))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 200 {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.RemoteAddr = "81.2.69.142:443"
				want := "GB"
				if i%2 == 0 {
					r.Header.Set("CF-IPCountry", "ca")
					want = "CA"
				}
				if got := l.Country(r); got != want {
					t.Errorf("Country = %q, want %q", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
