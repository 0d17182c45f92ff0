package playout

import (
	"strings"
	"testing"
	"time"

	"onair/internal/cmafx"
	"onair/internal/domain"
)

// TestProtection: the MPD's ContentProtection names the scheme and key id,
// ClearKey with onair's license endpoint when onair holds the key, and
// Widevine and PlayReady by their system ids when the profile gives their
// license URLs.
func TestProtection(t *testing.T) {
	k := cmafx.Key{KID: [16]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}}
	var b strings.Builder
	writeProtection(&b, domain.SchemeCENC, k, domain.DRMEntry{Name: domain.DRMCENC,
		WidevineLAURL: "https://wv.example.com/?a=1&b=2", PlayReadyLAURL: "https://pr.example.com/rightsmanager.asmx"}, "https://onair.test/playout/clearkey?token=t")
	mpd := b.String()
	for _, want := range []string{
		`schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc" cenc:default_KID="00112233-4455-6677-8899-aabbccddeeff"`,
		`schemeIdUri="urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e" value="ClearKey1.0"><dashif:laurl>https://onair.test/playout/clearkey?token=t</dashif:laurl>`,
		`schemeIdUri="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed" value="Widevine"><dashif:laurl>https://wv.example.com/?a=1&amp;b=2</dashif:laurl>`,
		`schemeIdUri="urn:uuid:9a04f079-9840-4286-ab92-e65be0885f95" value="MSPR 2.0"><dashif:laurl>https://pr.example.com/rightsmanager.asmx</dashif:laurl>`,
	} {
		if !strings.Contains(mpd, want) {
			t.Errorf("no %s in\n%s", want, mpd)
		}
	}
	b.Reset()
	writeProtection(&b, domain.SchemeCBCS, k, domain.DRMEntry{Name: domain.DRMCENC}, "")
	if strings.Contains(b.String(), "Widevine") || strings.Contains(b.String(), "laurl") || !strings.Contains(b.String(), `value="cbcs"`) {
		t.Errorf("a cbcs entry without license URLs:\n%s", b.String())
	}
}

// TestSchemes: which scheme each format of a profile is encrypted with.
func TestSchemes(t *testing.T) {
	const keys = `"key_id":"00112233445566778899aabbccddeeff","key_iv":"0011223344556677","key":"00112233445566778899aabbccddeeff"`
	parse := func(s string) domain.PlayoutConfig {
		c, err := domain.ParsePlayoutConfig(s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		config     string
		hls, dash  string
		hlsFairPly bool
	}{
		{`{"manifestFile":"a.isml"}`, "clear", "clear", false},
		{`{"manifestFile":"a.isml","drm":{"drm_provider":"VUALTO"}}`, "hls-cbcs", "dash-cenc", false},
		{`{"manifestFile":"a.isml","drm":{"drm_provider":"VUALTO","drm_data":[{"name":"CENC","scheme":"cbcs"}]}}`, "hls-cbcs", "dash-cbcs", false},
		{`{"manifestFile":"a.isml","drm":{"drm_provider":"VUALTO","drm_data":[{"name":"CENC","scheme":"cenc"}]}}`, "hls-cenc", "dash-cenc", false},
		{`{"manifestFile":"a.isml","drm":{"drm_provider":"THIRDPARTY","drm_data":[{"name":"FAIRPLAY","laurl":"skd://x",` + keys + `}]}}`, "hls-cbcs", "", true},
		{`{"manifestFile":"a.isml","drm":{"drm_provider":"THIRDPARTY","drm_data":[{"name":"CENC",` + keys + `},{"name":"FAIRPLAY","laurl":"skd://x",` + keys + `}]}}`, "hls-cbcs", "dash-cenc", true},
	} {
		c := parse(tc.config)
		if got := prefix(c, formatHLS); !strings.HasPrefix(got, tc.hls) || (tc.hls == "") != (got == "") {
			t.Errorf("%s: HLS %q, want %q", tc.config, got, tc.hls)
		}
		if got := prefix(c, formatDASH); !strings.HasPrefix(got, tc.dash) || (tc.dash == "") != (got == "") {
			t.Errorf("%s: DASH %q, want %q", tc.config, got, tc.dash)
		}
		if c.DRM != nil && (drmEntry(c, formatHLS).Name == domain.DRMFairPlay) != tc.hlsFairPly {
			t.Errorf("%s: HLS entry %s", tc.config, drmEntry(c, formatHLS).Name)
		}
	}
	if skdURI("https://fps.example.com/k?id=1") != "skd://fps.example.com/k?id=1" || skdURI("skd://a") != "skd://a" {
		t.Error("skdURI")
	}
	if isoDur(1500*time.Millisecond) != "PT1.500S" {
		t.Error("isoDur")
	}
}
