package e2e

import (
	"strings"
	"testing"

	"onair/internal/domain"
)

// Secrets are the credentials that WithSecretDestinations puts in a blueprint:
// a test fails if any of them comes back (see Hidden).
var Secrets = []string{"KEY-s3cr3t", "TOKEN-s3cr3t", "PASS-s3cr3t"}

// WithSecretDestinations returns b pushing to two RTMP destinations on a port
// where nothing listens: yt with a stream key and a URL token, and fb with a
// password in its URL.
func WithSecretDestinations(b domain.Blueprint) domain.Blueprint {
	b.Settings.Destinations = []domain.Destination{
		{ID: "yt", Settings: []domain.DestinationSetting{{URL: "rtmp://127.0.0.1:1/live2?token=TOKEN-s3cr3t", StreamName: "KEY-s3cr3t"}}},
		{ID: "fb", Settings: []domain.DestinationSetting{{URL: "rtmps://live:PASS-s3cr3t@127.0.0.1:1/rtmp"}}},
	}
	b.Settings.OutputGroups = append(append([]domain.OutputGroup(nil), b.Settings.OutputGroups...),
		domain.OutputGroup{Name: "YouTube", Type: domain.OutputRTMP, DestinationID: "yt"},
		domain.OutputGroup{Name: "Facebook", Type: domain.OutputRTMP, DestinationID: "fb"})
	return b
}

// Hidden fails the test when text, what a person can read, shows one of Secrets.
func Hidden(t testing.TB, what, text string) {
	t.Helper()
	for _, s := range Secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s shows %s:\n%s", what, s, text)
		}
	}
}
