package server_test

import (
	"context"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"onair/internal/api"
	"onair/internal/config"
	"onair/internal/domain"
	"onair/internal/hls/hlstest"
	"onair/internal/testutil/e2e"
	"onair/internal/testutil/localnet"
	"onair/internal/testutil/player"
	"onair/internal/testutil/s3server"
)

// s3Bucket and s3Prefix are where the tests' nodes keep their archives.
const (
	s3Bucket = "onair-media"
	s3Prefix = "site"
)

// startS3 starts the S3 server the tests' storage is, with its bucket, and
// gives the process its credentials, as AWS_* variables.
func startS3(t *testing.T) *s3server.Server {
	t.Helper()
	s3 := s3server.Start(t)
	s3.Bucket(t, s3Bucket)
	for _, kv := range s3.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return s3
}

// onS3 has a node keep its archives in the test bucket.
func onS3(s3 *s3server.Server, more func(*config.Config)) func(*config.Config) {
	return func(c *config.Config) {
		c.Storage = "s3://" + s3Bucket + "/" + s3Prefix
		c.S3Endpoint = s3.URL
		if more != nil {
			more(c)
		}
	}
}

// objects lists the bucket's keys under the prefix, relative to it.
func objects(t *testing.T, s3 *s3server.Server, under string) []string {
	t.Helper()
	var keys []string
	for o := range s3.Client(t).ListObjects(context.Background(), s3Bucket, minio.ListObjectsOptions{Prefix: s3Prefix + "/" + under, Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("listing the bucket: %v", o.Err)
		}
		keys = append(keys, strings.TrimPrefix(o.Key, s3Prefix+"/"))
	}
	return keys
}

func countSuffix(keys []string, suffix string) int {
	n := 0
	for _, k := range keys {
		if strings.HasSuffix(k, suffix) {
			n++
		}
	}
	return n
}

// TestArchiveOnS3: a run on S3 storage uploads each archive segment as it
// closes; at the stop the playlist and the MP4 follow and the local copy
// goes. The download redirects to a signed URL of the bucket, over which
// ffprobe plays the MP4; the playlist is read through onair; a clip is cut
// from the bucket's segments and written next to the archive there.
func TestArchiveOnS3(t *testing.T) {
	s3 := startS3(t)
	n := startNode(t, onS3(s3, func(c *config.Config) { c.ArchiveDownload = "redirect" }))
	bp := e2e.SmallBlueprint(domain.ClassSinglePipeline)
	bp.ID = "small"
	n.Call("POST", "/api/blueprints", bp, nil)
	var st api.StreamInfo
	if code := n.Call("POST", "/api/streams", map[string]any{"name": "Lecture", "segment_length": 2, "blueprint_id": "small"}, &st); code != 200 {
		t.Fatalf("create: %d", code)
	}
	if code := n.Call("POST", "/api/streams/"+st.ID+"/start", nil, &st); code != 200 {
		t.Fatalf("start: %d", code)
	}
	session := *st.CurrentSessionID
	if p := st.ArchivesPath[session]; !strings.HasPrefix(p, "s3://"+s3Bucket+"/"+s3Prefix+"/archive/") {
		t.Errorf("archives_path %q: want it in the bucket", p)
	}
	id := st.LiveChannelID
	n.WaitStatus(id, domain.StatusRunning)
	const seconds = 10
	pub := e2e.Publish(t, st.RTMP1, seconds)

	// Segments reach the bucket while the run records.
	e2e.WaitFor(t, "archive segments in the bucket during the run", 30*time.Second, func() bool {
		return countSuffix(objects(t, s3, "archive/"), ".ts") >= 2
	})
	if err := pub.Wait(); err != nil {
		t.Fatalf("publisher: %v", err)
	}
	if code := n.Call("POST", "/api/streams/"+st.ID+"/stop", nil, nil); code != 200 {
		t.Fatalf("stop: %d", code)
	}
	info := n.WaitStatus(id, domain.StatusDone)
	// A stream is a STANDARD channel: the main pipeline recorded, the
	// backup had no publisher.
	if len(info.Archives) != 2 || info.Archives[1].FileSize != 0 {
		t.Fatalf("archives: %+v", info.Archives)
	}
	a := info.Archives[0]
	if a.FileSize <= 0 || a.DownloadURL == "" || !strings.HasPrefix(a.Location, "s3://"+s3Bucket+"/"+s3Prefix+"/archive/") {
		t.Fatalf("archive: %+v", a)
	}
	keys := objects(t, s3, "archive/")
	if countSuffix(keys, ".mp4") != 1 || countSuffix(keys, "index.m3u8") != 1 {
		t.Fatalf("the bucket holds %v", keys)
	}
	if local := filesUnder(t, filepath.Join(n.data, "archive")); len(local) > 0 {
		t.Errorf("the archive's local copy is still there: %v", local)
	}

	// The download: a redirect to a signed URL, which ffprobe plays.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(n.local(a.DownloadURL))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	signed := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(signed, s3.URL+"/"+s3Bucket+"/") || !strings.Contains(signed, "X-Amz-Signature=") {
		t.Fatalf("download: %d, Location %q", resp.StatusCode, signed)
	}
	code, hdr, _ := e2e.Get(t, signed)
	if code != 200 || hdr.Get("Content-Type") != "video/mp4" || hdr.Get("Content-Length") != strconv.FormatInt(a.FileSize, 10) {
		t.Fatalf("the signed URL: %d %v", code, hdr)
	}
	d := e2e.Probe(t, "-show_entries", "format=duration", signed)["format"].(map[string]any)["duration"].(string)
	if got, _ := strconv.ParseFloat(d, 64); math.Abs(got-seconds) > 2 {
		t.Errorf("the MP4 in the bucket lasts %s s, published %d s", d, seconds)
	}
	e2e.Decodes(t, signed)
	if code, _, body := e2e.Get(t, n.local(a.PlaylistURL)); code != 200 || !strings.Contains(body, "#EXT-X-ENDLIST") {
		t.Errorf("the archive playlist through onair: %d\n%s", code, body)
	}
	segment := n.local(a.PlaylistURL)[:strings.LastIndex(n.local(a.PlaylistURL), "/")] + "/seg_000000.ts"
	if resp, err := client.Get(segment); err != nil || resp.StatusCode != http.StatusFound {
		t.Errorf("a segment of the playlist: %v %+v, want a redirect to the bucket", err, resp)
	}

	// A clip from the bucket's archive, written next to it there.
	var split api.SplitResult
	body := map[string]any{"session_id": session, "name_modifier": "best", "timestamp_list": []map[string]any{{"start": 2, "end": 6}}}
	if code := n.Call("POST", "/api/streams/"+st.ID+"/split", body, &split); code != 200 || len(split.Clips) != 1 {
		t.Fatalf("split: %d %+v", code, split)
	}
	c := split.Clips[0]
	keys = objects(t, s3, "archive/")
	dir := path.Dir(strings.TrimPrefix(a.Location, "s3://"+s3Bucket+"/"+s3Prefix+"/"))
	for _, name := range []string{path.Base(c.Index), path.Base(c.MP4)} {
		if !slices.Contains(keys, path.Join(dir, name)) {
			t.Errorf("the clip's %s is not next to the archive in the bucket: %v", name, keys)
		}
	}
	clipDur := e2e.Probe(t, "-show_entries", "format=duration", n.local(c.MP4))["format"].(map[string]any)["duration"].(string)
	if got, _ := strconv.ParseFloat(clipDur, 64); math.Abs(got-4) > 2 {
		t.Errorf("the clip lasts %s s, want 4", clipDur)
	}
	e2e.Decodes(t, n.local(c.Index))
	if local := filesUnder(t, filepath.Join(n.data, "archive")); len(local) > 0 {
		t.Errorf("the clip left files on the disk: %v", local)
	}
}

// filesUnder lists the regular files of a directory tree.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// TestStorageRefusedAtStart: with credentials the bucket refuses, a start
// fails with the bucket named, before any media flows.
func TestStorageRefusedAtStart(t *testing.T) {
	s3 := startS3(t)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-key")
	n := startNode(t, onS3(s3, nil))
	id := n.Create(e2e.SmallBlueprint(domain.ClassSinglePipeline))
	n.Start(id)
	info := n.WaitStatus(id, domain.StatusStartFailed)
	if !strings.Contains(info.Cause, "S3: access denied to bucket "+s3Bucket) {
		t.Errorf("cause %q", info.Cause)
	}
	if e2e.HasEvent(info, "pipeline_started") || e2e.HasEvent(info, "publisher_connected") {
		t.Errorf("media flowed before the storage was checked: %+v", info.Events)
	}
}

// TestS3OutageCatchesUp: the S3 server stopped for 20 s mid-run; the run
// goes on, the archive's uploads catch up once it is back, and at the stop
// the bucket holds every segment the run recorded, the playlist and the MP4.
func TestS3OutageCatchesUp(t *testing.T) {
	s3 := startS3(t)
	n := startNode(t, onS3(s3, nil))
	id, info := n.CreateAndStart(e2e.Passthrough(domain.ClassSinglePipeline))
	pub := e2e.Publish(t, info.Endpoints.Input[0].Endpoints[0], 50)
	defer pub.Process.Kill()
	e2e.WaitFor(t, "segments in the bucket", 30*time.Second, func() bool { return countSuffix(objects(t, s3, "archive/"), ".ts") >= 2 })
	s3.Stop()
	time.Sleep(20 * time.Second)
	if s := n.Channel(id).Status; s != domain.StatusRunning {
		t.Fatalf("with the storage down the channel is %s", s)
	}
	e2e.WaitFor(t, "the failing uploads in the run's events", 10*time.Second, func() bool { return e2e.HasEvent(n.Channel(id), domain.EventArchiveUploadFailing) })
	playlists, _ := filepath.Glob(filepath.Join(n.data, "archive", id, "*", "*", "index.m3u8"))
	if len(playlists) != 1 {
		t.Fatalf("local archive playlists: %v", playlists)
	}
	during := e2e.Segments(playlists[0])
	s3.Restart(t)
	e2e.WaitFor(t, "the uploads catching up", 30*time.Second, func() bool {
		return countSuffix(objects(t, s3, "archive/"), ".ts") >= during
	})
	e2e.WaitFor(t, "the recovered uploads in the run's events", 10*time.Second, func() bool { return e2e.HasEvent(n.Channel(id), domain.EventArchiveUploadRecovered) })
	pub.Process.Kill()
	pub.Wait()
	recorded := listed(t, playlists[0])
	n.Stop(id)
	info = n.WaitStatus(id, domain.StatusDone)
	keys := objects(t, s3, "archive/")
	dir := path.Dir(strings.TrimPrefix(info.Archives[0].Location, "s3://"+s3Bucket+"/"+s3Prefix+"/"))
	for _, seg := range recorded {
		if !slices.Contains(keys, path.Join(dir, seg)) {
			t.Errorf("segment %s is not in the bucket", seg)
		}
	}
	if countSuffix(keys, ".mp4") != 1 {
		t.Errorf("the bucket holds %v", keys)
	}
	e2e.Decodes(t, n.local(info.Archives[0].PlaylistURL)) // through onair, from the bucket
}

// listed is what an archive playlist lists.
func listed(t *testing.T, playlist string) []string {
	t.Helper()
	b, err := os.ReadFile(playlist)
	if err != nil {
		t.Fatal(err)
	}
	var segs []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasSuffix(l, ".ts") {
			segs = append(segs, l)
		}
	}
	return segs
}

// TestMediaStoreDestination: the guide's CloudFront/MediaStore destination,
// mediastoressl:// alone, pushes the live HLS to the server's storage under
// live/<workflowId>/<pipeline>/, each object with its content type and
// cache policy, deleting old segments behind the window; the channel's
// playerPreview is the CDN's URL of it, which hls.js plays from the
// bucket's HTTP endpoint.
func TestMediaStoreDestination(t *testing.T) {
	s3 := startS3(t)
	s3.PublicRead(t, s3Bucket, s3Prefix+"/live/")
	cdn := s3.URL + "/" + s3Bucket + "/" + s3Prefix
	n := startNode(t, onS3(s3, func(c *config.Config) { c.CDNBaseURL = cdn }))
	bp := e2e.Passthrough(domain.ClassSinglePipeline)
	bp.Settings.Destinations = []domain.Destination{{ID: "Cloudfront", MediaPackageSettings: []any{}, Settings: []domain.DestinationSetting{{URL: "mediastoressl://"}}}}
	bp.Settings.OutputGroups = append(bp.Settings.OutputGroups, domain.OutputGroup{Name: "Cloudfront", Type: domain.OutputHLS, DestinationID: "Cloudfront",
		HLS: &domain.HLSSettings{SegmentSeconds: 1, WindowSeconds: 4}})
	id, info := n.CreateAndStart(bp)
	pub := e2e.Publish(t, info.Endpoints.Input[0].Endpoints[0], 60)
	defer pub.Process.Kill()
	published := time.Now()
	info = n.Channel(id)
	preview := cdn + "/live/" + id + "/0/master.m3u8"
	if info.PlayerPreview == nil || info.PlayerPreview.URL != preview {
		t.Fatalf("playerPreview %+v, want %s", info.PlayerPreview, preview)
	}
	var list api.ChannelList
	if n.Call("GET", "/api/channels", nil, &list); len(list.Items) != 1 || list.Items[0].PlayerPreview == nil || list.Items[0].PlayerPreview.URL != preview {
		t.Errorf("the channel list's playerPreview: %+v", list.Items)
	}
	live := "live/" + id + "/0/"
	e2e.WaitFor(t, "the live HLS in the bucket", 30*time.Second, func() bool {
		keys := objects(t, s3, live)
		return slices.Contains(keys, live+"master.m3u8") && countSuffix(keys, ".ts") >= 3
	})
	if d, _ := destinationOf(n.Channel(id), "Cloudfront"); d.State != domain.DestinationActive || !strings.HasPrefix(d.URL, "s3://"+s3Bucket+"/") {
		t.Errorf("the destination: %+v", d)
	}
	for key, want := range map[string][2]string{
		live + "master.m3u8":                          {"application/vnd.apple.mpegurl", "no-cache"},
		live + domain.RenditionSource + "/index.m3u8": {"application/vnd.apple.mpegurl", "no-cache"},
	} {
		st, err := s3.Client(t).StatObject(context.Background(), s3Bucket, s3Prefix+"/"+key, minio.StatObjectOptions{})
		if err != nil || st.ContentType != want[0] || st.Metadata.Get("Cache-Control") != want[1] {
			t.Errorf("%s: %v, Content-Type %q, Cache-Control %q; want %v", key, err, st.ContentType, st.Metadata.Get("Cache-Control"), want)
		}
	}
	for _, k := range objects(t, s3, live) {
		if strings.HasSuffix(k, ".ts") {
			st, _ := s3.Client(t).StatObject(context.Background(), s3Bucket, s3Prefix+"/"+k, minio.StatObjectOptions{})
			if st.ContentType != "video/mp2t" || !strings.Contains(st.Metadata.Get("Cache-Control"), "immutable") {
				t.Errorf("segment %s: Content-Type %q, Cache-Control %q", k, st.ContentType, st.Metadata.Get("Cache-Control"))
			}
			break
		}
	}
	if r := player.Play(t, preview, player.Options{Seconds: 4}); r.Played < 4 || len(r.Errors) > 0 {
		t.Errorf("hls.js from the bucket: %+v", r)
	}
	// Old segments go behind the window (4 s of 1 s segments, kept two
	// segments more): after 20 s of media, far fewer than 20 remain.
	e2e.WaitFor(t, "old segments deleted", 40*time.Second, func() bool {
		return time.Since(published) > 22*time.Second && countSuffix(objects(t, s3, live), ".ts") <= 10
	})
}

// TestS3KillNine: onair killed with SIGKILL mid-run loses nothing that had
// closed. After a restart it uploads what was missing, and at the stop the
// bucket holds every segment the data directory had, compared list to list.
func TestS3KillNine(t *testing.T) {
	s3 := startS3(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	httpAddr, rtmpAddr := freeAddr(t), freeAddr(t)
	serve := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "serve", "-data", data, "-http", httpAddr, "-rtmp", rtmpAddr,
			"-database", "sqlite://"+filepath.Join(dir, "onair.db"), "-public-url", "http://"+httpAddr,
			"-storage", "s3://"+s3Bucket+"/"+s3Prefix, "-s3-endpoint", s3.URL, "-log-level", "warn")
		cmd.Env = append(os.Environ(), serveEnv+"=1", "ONAIR_ADMIN_API_KEY="+e2e.AdminKey)
		cmd.Stdout, cmd.Stderr = e2e.LogWriter{T: t}, e2e.LogWriter{T: t}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		if err := localnetWait(httpAddr); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := serve()
	n := &e2e.Client{T: t, Base: "http://" + httpAddr, APIKey: e2e.AdminKey}
	id, info := n.CreateAndStart(e2e.Passthrough(domain.ClassSinglePipeline))
	pub := e2e.Publish(t, info.Endpoints.Input[0].Endpoints[0], 60)
	defer pub.Process.Kill()
	e2e.WaitFor(t, "segments in the bucket", 30*time.Second, func() bool { return countSuffix(objects(t, s3, "archive/"), ".ts") >= 3 })
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	pub.Process.Kill()
	pub.Wait()
	local, _ := filepath.Glob(filepath.Join(data, "archive", id, "*", "*", "seg_*.ts"))
	if len(local) < 3 {
		t.Fatalf("local segments at the kill: %v", local)
	}

	serve()
	n.WaitStatus(id, domain.StatusRunning)
	n.Stop(id)
	info = n.WaitStatus(id, domain.StatusDone)
	if len(info.Archives) != 1 || info.Archives[0].FileSize == 0 {
		t.Fatalf("archives: %+v", info.Archives)
	}
	keys := objects(t, s3, "archive/")
	remote := map[string]bool{}
	for _, k := range keys {
		if strings.HasSuffix(k, ".ts") {
			remote[path.Base(k)] = true
		}
	}
	// The segment being written at the kill is listed at the restart, or
	// dropped when it held no whole frame: every other one is in the bucket.
	missing := 0
	for _, f := range local {
		if !remote[filepath.Base(f)] {
			missing++
			t.Logf("not in the bucket: %s", filepath.Base(f))
		}
	}
	if missing > 1 || missing == 1 && !remote[filepath.Base(local[len(local)-2])] {
		t.Errorf("the bucket holds %d of the %d segments the disk had: %v", len(remote), len(local), keys)
	}
	if countSuffix(keys, ".mp4") != 1 {
		t.Errorf("no MP4 in the bucket: %v", keys)
	}
	e2e.Decodes(t, n.Base+strings.TrimPrefix(info.Archives[0].PlaylistURL, "http://"+httpAddr))
}

func freeAddr(t *testing.T) string {
	t.Helper()
	a, err := localnet.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func localnetWait(addr string) error { return localnet.WaitListening(addr, 30*time.Second) }

// TestArchiveOwnBucket: an ARCHIVE group whose destination names a bucket
// of its own records there, segments and playlist only: no merge, as the
// guide says. Its playlist is that bucket's object.
func TestArchiveOwnBucket(t *testing.T) {
	s3 := startS3(t)
	s3.Bucket(t, "other-bucket")
	n := startNode(t, onS3(s3, nil))
	bp := e2e.Passthrough(domain.ClassSinglePipeline)
	bp.Settings.Destinations = []domain.Destination{{ID: "vault", Settings: []domain.DestinationSetting{{URL: "s3://other-bucket/records"}}}}
	for i, g := range bp.Settings.OutputGroups {
		if g.Type == domain.OutputArchive {
			bp.Settings.OutputGroups[i].DestinationID = "vault"
		}
	}
	id, info := n.CreateAndStart(bp)
	if err := e2e.Publish(t, info.Endpoints.Input[0].Endpoints[0], 6).Wait(); err != nil {
		t.Fatal(err)
	}
	n.Stop(id)
	info = n.WaitStatus(id, domain.StatusDone)
	if len(info.Archives) != 1 {
		t.Fatalf("archives: %+v", info.Archives)
	}
	a := info.Archives[0]
	if a.DownloadURL != "" || a.FileSize <= 0 || !strings.HasPrefix(a.Location, "s3://other-bucket/records/archive/") ||
		!strings.HasPrefix(a.PlaylistURL, s3.URL+"/other-bucket/records/archive/") {
		t.Fatalf("archive in its own bucket: %+v", a)
	}
	var keys []string
	for o := range s3.Client(t).ListObjects(context.Background(), "other-bucket", minio.ListObjectsOptions{Prefix: "records/", Recursive: true}) {
		keys = append(keys, o.Key)
	}
	if countSuffix(keys, ".ts") < 2 || countSuffix(keys, "index.m3u8") != 1 || countSuffix(keys, ".mp4") != 0 {
		t.Errorf("the archive's bucket holds %v: want segments and the playlist, no MP4", keys)
	}
	if d := objects(t, s3, "archive/"); len(d) != 0 {
		t.Errorf("the default storage got %v", d)
	}
	if local := filesUnder(t, filepath.Join(n.data, "archive")); len(local) > 0 {
		t.Errorf("local copy left: %v", local)
	}
}

// TestPlayoutVODFromS3: a playout profile's INSTANT_VOD serves the archive
// from the bucket once the run is done and its local copy gone.
func TestPlayoutVODFromS3(t *testing.T) {
	s3 := startS3(t)
	n := startNode(t, onS3(s3, nil))
	var clear api.PlayoutProfile
	// Every track: the archive's one rendition is not filtered out.
	if code := n.Call("POST", "/api/playoutprofile", map[string]any{"name": "Clear", "configurationJson": `{"manifestFile": "clear_{0}.isml"}`}, &clear); code != 201 {
		t.Fatalf("POST clear profile: %d", code)
	}
	var created api.IDResponse
	if code := n.Call("POST", "/api/workflows", map[string]any{"name": "playout", "blueprint": cmafLadder(), "playoutProfileIds": []string{clear.ID}}, &created); code != 201 {
		t.Fatalf("create workflow: %d", code)
	}
	id := created.ID
	n.Start(id)
	info := n.WaitStatus(id, domain.StatusRunning)
	pub := e2e.Publish(t, info.Endpoints.Input[0].Endpoints[0], 30)
	defer pub.Process.Kill()
	var wf domain.Workflow
	e2e.WaitFor(t, "the profile's manifest", 40*time.Second, func() bool {
		n.Call("GET", "/api/workflows/"+id, nil, &wf)
		return len(wf.PlayoutManifests) == 1
	})
	time.Sleep(4 * time.Second) // a few segments more in the archive
	pub.Process.Kill()
	pub.Wait()
	n.Stop(id)
	info = n.WaitStatus(id, domain.StatusDone)
	if local := filesUnder(t, filepath.Join(n.data, "archive")); len(local) > 0 {
		t.Fatalf("the archive is still on the disk: %v", local)
	}
	master := n.Base + wf.PlayoutManifests[0].Path + "/.m3u8"
	var body string
	e2e.WaitFor(t, "the VOD master from the bucket", 20*time.Second, func() bool {
		body = getBody(t, master)
		return strings.Contains(body, "#EXT-X-STREAM-INF")
	})
	m, err := hlstest.ParseMaster([]byte(body))
	if err != nil || len(m.Variants) == 0 {
		t.Fatalf("the VOD master: %v\n%s", err, body)
	}
	variant := n.Base + wf.PlayoutManifests[0].Path + "/" + m.Variants[0].URI
	if pl := getBody(t, variant); !strings.Contains(pl, "#EXT-X-PLAYLIST-TYPE:VOD") {
		t.Fatalf("the VOD playlist:\n%s", pl)
	}
	d := e2e.Probe(t, "-show_entries", "format=duration", variant)["format"].(map[string]any)["duration"].(string)
	if got, _ := strconv.ParseFloat(d, 64); math.Abs(got-info.Archives[0].Duration) > 2 {
		t.Errorf("the VOD lasts %s s, the archive %.1f s", d, info.Archives[0].Duration)
	}
}
