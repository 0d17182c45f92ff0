package domain_test

import (
	"slices"
	"strings"
	"testing"

	"onair/internal/domain"
)

func TestMaskURL(t *testing.T) {
	const m = domain.Mask
	cases := []struct{ in, want string }{
		{"rtmp://a.rtmp.youtube.com/live2", "rtmp://a.rtmp.youtube.com/live2"},
		{"rtmp://a.rtmp.youtube.com/live2/", "rtmp://a.rtmp.youtube.com/live2/"},
		{"rtmp://a.rtmp.youtube.com/live2/abcd-efgh", "rtmp://a.rtmp.youtube.com/live2/" + m},
		{"rtmps://live-api-s.facebook.com:443/rtmp/FB-123?s_bl=1&a=xyz", "rtmps://live-api-s.facebook.com:443/rtmp/" + m + "?s_bl=" + m + "&a=" + m},
		{"RTMP://host/app/inst/key", "RTMP://host/app/" + m},
		{"rtmp://user:pass@host/app", "rtmp://user:" + m + "@host/app"},
		{"https://token@host/ingest", "https://" + m + "@host/ingest"},
		{"https://host/ingest/a/b?token=abc&x", "https://host/ingest/a/b?token=" + m + "&" + m},
		{"https://host/p?empty=&", "https://host/p?empty=&"},
		{"https://host/p#frag", "https://host/p#" + m},
		{"https://host/ingest", "https://host/ingest"},
		{"not a url", "not a url"},
		{"", ""},
		{"rtmp://u:p w@host/app/key", "rtmp://u:" + m + "@host/app/" + m}, // masked though it does not parse
	}
	for _, tc := range cases {
		if got := domain.MaskURL(tc.in); got != tc.want {
			t.Errorf("MaskURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// secretBlueprint has a destination with a stream key and one with a password,
// and credentials in both URLs.
func secretBlueprint() domain.Blueprint {
	return domain.Blueprint{ID: "mine", Name: "Mine", Settings: domain.BlueprintSettings{Destinations: []domain.Destination{
		{ID: "yt", Settings: []domain.DestinationSetting{{URL: "rtmp://a.rtmp.youtube.com/live2?token=tok-1", StreamName: "key-1"}}},
		{ID: "cdn", Settings: []domain.DestinationSetting{{URL: "https://u:url-pw@ingest.example/x", Username: "u", PasswordParam: "pw-1"}}},
	}}}
}

func TestMaskedHidesEverySecret(t *testing.T) {
	b := secretBlueprint()
	m := b.Masked()
	for _, d := range m.Settings.Destinations {
		for _, s := range d.Settings {
			for _, secret := range []string{"tok-1", "key-1", "url-pw", "pw-1"} {
				if strings.Contains(s.URL+s.StreamName+s.PasswordParam, secret) {
					t.Errorf("masked setting %+v shows %s", s, secret)
				}
			}
		}
	}
	if m.Settings.Destinations[0].Settings[0].StreamName != domain.Mask || m.Settings.Destinations[1].Settings[0].Username != "u" {
		t.Errorf("masked: %+v", m.Settings.Destinations)
	}
	if b.Settings.Destinations[0].Settings[0].StreamName != "key-1" {
		t.Error("Masked changed the blueprint it was called on")
	}
}

func TestKeepSecrets(t *testing.T) {
	yt := func(b *domain.Blueprint) *domain.DestinationSetting { return &b.Settings.Destinations[0].Settings[0] }
	cdn := func(b *domain.Blueprint) *domain.DestinationSetting { return &b.Settings.Destinations[1].Settings[0] }
	cases := []struct {
		name   string
		edit   func(b *domain.Blueprint)
		field  string // "" when it is kept
		stream string // yt's stream key after
		url    string // yt's URL after
		pw     string // cdn's password after
	}{
		{"sent back masked", func(*domain.Blueprint) {}, "", "key-1", "rtmp://a.rtmp.youtube.com/live2?token=tok-1", "pw-1"},
		{"left out", func(b *domain.Blueprint) { yt(b).StreamName, cdn(b).PasswordParam = "", "" }, "", "key-1", "rtmp://a.rtmp.youtube.com/live2?token=tok-1", "pw-1"},
		{"new values", func(b *domain.Blueprint) {
			yt(b).StreamName, yt(b).URL, cdn(b).PasswordParam = "key-2", "rtmp://a.rtmp.youtube.com/live2?token=tok-2", "pw-2"
		}, "", "key-2", "rtmp://a.rtmp.youtube.com/live2?token=tok-2", "pw-2"},
		{"another path on the same server keeps the key", func(b *domain.Blueprint) { yt(b).URL = "rtmp://a.rtmp.youtube.com/other" },
			"", "key-1", "rtmp://a.rtmp.youtube.com/other", "pw-1"},
		{"another server does not get the key", func(b *domain.Blueprint) {
			yt(b).URL, yt(b).StreamName = "rtmp://evil.example/live2", ""
		}, "", "", "rtmp://evil.example/live2", "pw-1"},
		{"another server with the mask", func(b *domain.Blueprint) { yt(b).URL = "rtmp://evil.example/live2" },
			"settings.destinations[0].settings[0].streamName", "", "", ""},
		{"masked URL edited", func(b *domain.Blueprint) { yt(b).URL += "&more=1" },
			"settings.destinations[0].settings[0].url", "", "", ""},
		{"renamed destination", func(b *domain.Blueprint) { b.Settings.Destinations[1].ID = "cdn2" },
			"settings.destinations[1].settings[0].passwordParam", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stored := secretBlueprint()
			sent := stored.Masked()
			tc.edit(&sent)
			err := domain.KeepSecrets("", &sent, nil, &stored)
			if tc.field != "" {
				if got := fields(t, err); !slices.Contains(got, tc.field) {
					t.Fatalf("fields %v, want %s", got, tc.field)
				}
				if strings.Contains(err.Error(), "key-1") || strings.Contains(err.Error(), "tok-1") {
					t.Errorf("the error shows a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := yt(&sent); s.StreamName != tc.stream || s.URL != tc.url {
				t.Errorf("yt: %+v, want key %q url %q", s, tc.stream, tc.url)
			}
			if got := cdn(&sent); got.PasswordParam != tc.pw || got.URL != "https://u:url-pw@ingest.example/x" {
				t.Errorf("cdn: %+v, want password %q", got, tc.pw)
			}
		})
	}
}

func TestKeepSecretsWithoutStored(t *testing.T) {
	b := secretBlueprint()
	if err := domain.KeepSecrets("blueprint", &b); err != nil {
		t.Fatalf("real values refused: %v", err)
	}
	m := b.Masked()
	got := fields(t, domain.KeepSecrets("blueprint", &m))
	want := []string{"blueprint.settings.destinations[0].settings[0].url", "blueprint.settings.destinations[0].settings[0].streamName",
		"blueprint.settings.destinations[1].settings[0].url", "blueprint.settings.destinations[1].settings[0].passwordParam"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("fields %v, want %v", got, want)
	}
}
