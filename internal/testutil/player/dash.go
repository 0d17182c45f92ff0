package player

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// DASH is one MPD to play with Shaka Player, static (VOD) or dynamic (live).
type DASH struct {
	URL string
	// ClearKeys gives Shaka the content keys itself (drm.clearKeys), hex key
	// ID to hex key; Shaka then treats every stream as ClearKey-encrypted,
	// whatever the MPD says.
	ClearKeys map[string]string
	// LicenseURL, if set, is the ClearKey license server
	// (drm.servers["org.w3.clearkey"]): Shaka POSTs the W3C ClearKey license
	// request ({"kids":[...],"type":"temporary"}) to it and expects a JSON
	// Web Key Set back. The MPD must say the content is encrypted (a
	// ContentProtection element) unless it is live.
	LicenseURL string
}

// ShakaJS is Shaka Player's compiled file in the repository's
// web/node_modules (make test installs it).
func ShakaJS(t testing.TB) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	file := filepath.Join(filepath.Dir(here), "..", "..", "..", "web", "node_modules", "shaka-player", "dist", "shaka-player.compiled.js")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("shaka-player is not installed (%v): run scripts/docs-assets.sh, which make test runs", err)
	}
	return file
}

// StartDASH opens a browser and starts a Shaka player on each MPD; the
// test's cleanup closes it. Results and PlayFor report as for HLS, with
// Levels the video representations Shaka can play, Heights theirs, and
// Errors Shaka's critical errors ("code 6007 LICENSE_REQUEST_FAILED:
// category 6 DRM, data [...]"); its recoverable ones are Warnings.
func StartDASH(t testing.TB, streams ...DASH) *Session {
	t.Helper()
	s := open(t, Chromium(t), dashPage, map[string]string{"/shaka-player.compiled.js": ShakaJS(t)})
	for _, st := range streams {
		keys := st.ClearKeys
		if keys == nil {
			keys = map[string]string{}
		}
		args, err := json.Marshal([]any{st.URL, keys, st.LicenseURL})
		if err != nil {
			t.Fatalf("the stream %s: %v", st.URL, err)
		}
		s.run(st.URL, fmt.Sprintf("playDASH(...%s), true", args))
	}
	return s
}

// PlayDASH plays one MPD with Shaka until o.Seconds of media have played, a
// critical error, or the timeout.
func PlayDASH(t testing.TB, stream DASH, o Options) Result {
	t.Helper()
	s := StartDASH(t, stream)
	defer s.close()
	return s.PlayFor(o)[0]
}

// dashPage plays with Shaka. Played sums video.played, so that Shaka's jump
// to the live edge, or over a gap, does not count as playing. Retries are
// bounded, and a key that never comes leaves Played at 0 rather than
// hanging anything but the player: PlayFor gives up at its timeout.
const dashPage = `<!doctype html><html><body>
<script src="/shaka-player.compiled.js"></script>
<script>
shaka.polyfill.installAll();
window.players = [];
function named(table, n) {
  for (const k in table) if (table[k] === n) return k;
  return '?';
}
// describe names a Shaka error and its data, the errors it wraps included
// (a license request's HTTP status is in the 1001 inside a 6007).
function describe(e) {
  if (!e || e.category === undefined) return String(e);
  const E = shaka.util.Error;
  const data = (e.data || []).map(d => {
    if (d && d.category !== undefined) return '(' + describe(d) + ')';
    try { return JSON.stringify(d, (k, v) => ArrayBuffer.isView(v) ? v.byteLength + ' bytes' : v); } catch (x) { return String(d); }
  }).join(', ');
  return 'code ' + e.code + ' ' + named(E.Code, e.code) + ': category ' + e.category + ' ' + named(E.Category, e.category) +
    ', data [' + (data.length > 400 ? data.slice(0, 400) + '...' : data) + ']';
}
function playDASH(url, clearKeys, licenseURL) {
  const v = document.createElement('video');
  v.muted = true;
  v.playsInline = true;
  document.body.appendChild(v);
  const s = {errors: [], warnings: [], levels: 0, heights: []};
  const seen = new WeakSet();
  const report = (e) => {
    if (e && typeof e === 'object') {
      if (seen.has(e)) return;
      seen.add(e);
    }
    const critical = !e || e.severity !== shaka.util.Error.Severity.RECOVERABLE;
    (critical ? s.errors : s.warnings).push(describe(e));
  };
  if (!shaka.Player.isBrowserSupported()) report('this browser cannot run Shaka Player');
  const p = new shaka.Player();
  s.player = p;
  const retry = {maxAttempts: 3, baseDelay: 500, backoffFactor: 2, fuzzFactor: 0, timeout: 10000, stallTimeout: 5000, connectionTimeout: 5000};
  p.configure({
    drm: {clearKeys: clearKeys, servers: licenseURL ? {'org.w3.clearkey': licenseURL} : {}, retryParameters: retry},
    manifest: {retryParameters: retry},
    streaming: {retryParameters: retry},
  });
  p.addEventListener('error', ev => report(ev.detail));
  const tracks = () => {
    const ts = p.getVariantTracks();
    if (!ts.length) return;
    const videos = new Map();
    for (const t of ts) if (t.videoId !== null && t.videoId !== undefined) videos.set(t.videoId, t.height || 0);
    s.levels = videos.size;
    s.heights = [...new Set([...videos.values()].filter(h => h > 0))].sort((a, b) => a - b);
  };
  p.addEventListener('trackschanged', tracks);
  s.state = () => {
    tracks();
    let played = 0;
    for (let i = 0; i < v.played.length; i++) played += v.played.end(i) - v.played.start(i);
    const live = p.isLive();
    return {played: played,
      frames: v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0,
      levels: s.levels, heights: s.heights, parts: 0, switched: [],
      errors: s.errors, warnings: s.warnings,
      latency: live ? Math.max(0, p.getStats().liveLatency || 0) : 0};
  };
  window.players.push(s);
  // play() fails when the player does: that says nothing more.
  const start = () => v.play().catch(e => { if (!s.errors.length) report('play: ' + e); });
  p.attach(v).then(() => p.load(url)).then(start, report);
}
window.states = () => JSON.stringify(window.players.map(s => s.state()));
</script></body></html>`
