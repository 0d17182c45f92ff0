// Package geodb writes small MaxMind-format country databases for tests, so
// that code reading GeoLite2-Country files is tested without shipping one.
package geodb

import (
	"cmp"
	"net"
	"os"
	"slices"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Place is where a network is: an ISO 3166-1 alpha-2 country code and a
// MaxMind continent code. An empty field leaves that part out of the record.
type Place struct{ Country, Continent string }

// Write writes a GeoLite2-Country-shaped MMDB file at path, mapping each CIDR
// to its country (ISO code) with the continent code given, e.g.
//
//	geodb.Write(t, path, map[string]geodb.Place{
//		"127.0.0.0/8": {Country: "US", Continent: "NA"},
//		"::1/128":     {Country: "FR", Continent: "EU"},
//	})
//
// Reserved networks such as loopback are allowed. Where networks overlap, the
// more specific one wins. Any failure stops the test.
func Write(t testing.TB, path string, nets map[string]Place) {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: "GeoLite2-Country",
		Description:  map[string]string{"en": "onair test country database"},
		Languages:    []string{"en"},
		IPVersion:    6,
		RecordSize:   24,
		// Tests run on loopback, which the writer refuses by default.
		IncludeReservedNetworks: true,
	})
	if err != nil {
		t.Fatalf("geodb: new tree: %v", err)
	}

	type entry struct {
		net   *net.IPNet
		bits  int // prefix length in the IPv6 tree, where IPv4 sits under ::/96
		place Place
	}
	entries := make([]entry, 0, len(nets))
	for cidr, place := range nets {
		_, ipnet, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatalf("geodb: network %q: %v", cidr, err)
		}
		ones, size := ipnet.Mask.Size()
		entries = append(entries, entry{ipnet, ones + 128 - size, place})
	}
	// Broader networks first, so that a narrower one inserted later replaces
	// its part of them whatever the map's order.
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.bits, b.bits), cmp.Compare(a.net.String(), b.net.String()))
	})
	for _, e := range entries {
		if err := tree.Insert(e.net, record(e.place)); err != nil {
			t.Fatalf("geodb: insert %s: %v", e.net, err)
		}
	}

	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("geodb: %v", err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		t.Fatalf("geodb: write %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("geodb: close %s: %v", path, err)
	}
}

// record lays out p as GeoLite2-Country does, with registered_country equal
// to country.
func record(p Place) mmdbtype.Map {
	m := mmdbtype.Map{}
	if p.Country != "" {
		country := mmdbtype.Map{"iso_code": mmdbtype.String(p.Country)}
		m["country"] = country
		m["registered_country"] = country
	}
	if p.Continent != "" {
		m["continent"] = mmdbtype.Map{"code": mmdbtype.String(p.Continent)}
	}
	return m
}
