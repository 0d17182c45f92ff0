// Package geo tells where a viewer is, for the georules of stream provisions.
//
// A viewer's region comes only from the sources the operator named: one
// trusted header that the CDN or proxy in front of the server sets, and a
// MaxMind-format country database looked up with the address of the
// connection itself. No other header is read: X-Forwarded-For and its kin are
// whatever the client chose to send.
package geo

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Locator tells where a viewer is. It is safe for concurrent use.
type Locator struct {
	header string            // canonical name of the trusted header; "" for none
	db     *maxminddb.Reader // nil for none
}

// Open returns a locator reading the trusted header (canonical name; "" for
// none) and/or the MMDB file at dbPath ("" for none). An unreadable or
// non-country database is an error that names the path.
//
// A country database is one whose records carry country.iso_code, as the
// GeoLite2-Country and GeoIP2-Country ones do; the City and Enterprise
// databases hold the same fields and are accepted too.
func Open(header, dbPath string) (*Locator, error) {
	l := &Locator{}
	if header != "" {
		if !isToken(header) {
			return nil, fmt.Errorf("geo header %q is not a valid HTTP header name", header)
		}
		l.header = http.CanonicalHeaderKey(header)
	}
	if dbPath == "" {
		return l, nil
	}
	db, err := maxminddb.Open(dbPath)
	if err != nil {
		return nil, fmt.Errorf("geoip database %s: %w", dbPath, err)
	}
	if t := db.Metadata.DatabaseType; !hasCountries(t) {
		db.Close()
		return nil, fmt.Errorf("geoip database %s is a %q database, which has no countries; want GeoLite2-Country or GeoIP2-Country", dbPath, t)
	}
	l.db = db
	return l, nil
}

// Configured reports whether the locator has any source (header or database).
// A nil *Locator is valid and unconfigured.
func (l *Locator) Configured() bool {
	return l != nil && (l.header != "" || l.db != nil)
}

// Country returns the viewer's country, an upper-case ISO 3166-1 alpha-2
// code, or "" when unknown.
//
// When the trusted header is on the request, it alone answers: the
// connection's address is then the proxy's or CDN's, not the viewer's, so
// Cloudflare's XX (unknown) and T1 (Tor), a value that is not two letters,
// and a header sent more than once (a forged copy beside the proxy's) are
// unknown. Without it the database answers, looked up with the IP of
// r.RemoteAddr. Networks with no located country give the one they were
// registered in. Continents are never answered: NA would be North America
// to one reader and Namibia to another.
func (l *Locator) Country(r *http.Request) string {
	if l == nil {
		return ""
	}
	if l.header != "" {
		if values := r.Header.Values(l.header); len(values) > 0 {
			c, _ := headerCountry(values)
			return c
		}
	}
	if l.db == nil {
		return ""
	}
	addr, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return l.lookup(addr.Addr().Unmap().WithZone(""))
}

// Header is the trusted header's canonical name, "" for none: what a
// cache in front must vary on.
func (l *Locator) Header() string {
	if l == nil {
		return ""
	}
	return l.header
}

// Close releases the database. No Country call may be running or follow.
// Closing a nil or database-less locator does nothing.
func (l *Locator) Close() error {
	if l == nil || l.db == nil {
		return nil
	}
	return l.db.Close()
}

// countryRecord is the part of a GeoIP2 country record that Country uses;
// the decoder skips every other field.
type countryRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
}

// lookup returns the country the database gives addr, "" when it has none
// or the record cannot be read.
func (l *Locator) lookup(addr netip.Addr) string {
	var rec countryRecord
	if err := l.db.Lookup(addr).Decode(&rec); err != nil {
		return ""
	}
	country := rec.Country.ISOCode
	if country == "" {
		country = rec.RegisteredCountry.ISOCode
	}
	c, _ := regionCode(country)
	return c
}

// headerCountry returns the country in the trusted header's values. A header
// sent twice is not believed: a proxy that appends its value instead of
// replacing the client's would leave a forged copy beside it.
func headerCountry(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	c, ok := regionCode(values[0])
	switch c {
	case "XX", "T1": // Cloudflare: unknown, Tor
		return "", false
	}
	return c, ok
}

// regionCode returns s trimmed and upper-cased if it is two ASCII letters.
// Letters are checked before case is changed: strings.ToUpper would turn
// "uſ" into "US".
func regionCode(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) != 2 {
		return "", false
	}
	var b [2]byte
	for i := range b {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || 'Z' < c {
			return "", false
		}
		b[i] = c
	}
	return string(b[:]), true
}

// hasCountries reports whether a database of type t carries country records.
func hasCountries(t string) bool {
	return strings.Contains(t, "Country") || strings.Contains(t, "City") || strings.Contains(t, "Enterprise")
}

// isToken reports whether s is a valid header field name (RFC 9110 token).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}
