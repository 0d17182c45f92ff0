package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"onair/bench/internal/benchkit"
	"onair/internal/testutil/localnet"
	"onair/internal/testutil/s3server"
)

// The bucket and the key prefix onair keeps its archives under.
const (
	bucket   = "onair-bench"
	prefix   = "bench"
	s3Region = "us-east-1"
)

// gateway is a versitygw serving one bucket from a directory of the local
// disk: the S3 side of the benchmark.
type gateway struct {
	url            string // http://host:port, onair's --s3-endpoint
	access, secret string
	client         *minio.Client
	daemon         *localnet.Daemon
	root           string // the posix root: the bucket is a directory in it
	log            string // versitygw's output, its request log
}

// startGateway runs versitygw over dir/s3 on a free port and makes the
// bucket. The binary is the one onair's S3 tests build into their cache.
func startGateway(dir string) (*gateway, error) {
	bin, err := s3server.Binary()
	if err != nil {
		return nil, err
	}
	addr, err := localnet.FreeAddr()
	if err != nil {
		return nil, err
	}
	g := &gateway{url: "http://" + addr, access: randomKey(10), secret: randomKey(20), root: filepath.Join(dir, "s3")}
	if err := os.MkdirAll(g.root, 0o755); err != nil {
		return nil, err
	}
	logFile := filepath.Join(dir, "versitygw.log")
	g.log = logFile
	out, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer out.Close() // versitygw has its own copy
	cmd := exec.Command(bin, "--access", g.access, "--secret", g.secret, "--region", s3Region, "--port", addr, "posix", g.root)
	cmd.Stdout = out
	if g.daemon, err = localnet.StartDaemon(cmd, addr, logFile); err != nil {
		return nil, err
	}
	g.client, err = minio.New(addr, &minio.Options{
		Creds:        credentials.NewStaticV4(g.access, g.secret, ""),
		Region:       s3Region,
		BucketLookup: minio.BucketLookupPath,
		Secure:       false,
	})
	if err == nil {
		err = g.makeBucket()
	}
	if err != nil {
		g.stop()
		return nil, err
	}
	return g, nil
}

// makeBucket makes the bucket, trying for a few seconds: versitygw listens
// a moment before it answers.
func (g *gateway) makeBucket() error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := g.client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: s3Region})
		cancel()
		if err == nil || minio.ToErrorResponse(err).Code == "BucketAlreadyOwnedByYou" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("making bucket %s: %w: %s", bucket, err, g.daemon.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (g *gateway) stop() { g.daemon.Stop() }

// flags and env are what onair serve needs to keep its archives in the
// bucket.
func (g *gateway) flags() []string {
	return []string{"--storage", "s3://" + bucket + "/" + prefix, "--s3-endpoint", g.url}
}

func (g *gateway) env() map[string]string {
	return map[string]string{"AWS_ACCESS_KEY_ID": g.access, "AWS_SECRET_ACCESS_KEY": g.secret, "AWS_REGION": s3Region}
}

// objects lists what the bucket holds of a workflow's archives.
func (g *gateway) objects(workflow string) ([]minio.ObjectInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out []minio.ObjectInfo
	for o := range g.client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix + "/archive/" + workflow + "/", Recursive: true}) {
		if o.Err != nil {
			return nil, o.Err
		}
		out = append(out, o)
	}
	return out, nil
}

// uploads is what versitygw's request log says of the MP4's upload: one
// PUT, or a multipart upload's parts, how long their PUTs took, and the
// complete.
func (g *gateway) uploads() string {
	b, err := os.ReadFile(g.log)
	if err != nil {
		return err.Error()
	}
	return parseUploads(string(b))
}

// parseUploads reads the MP4's multipart upload out of versitygw's log.
func parseUploads(log string) string {
	var parts []time.Duration
	var complete, whole time.Duration
	for _, line := range strings.Split(log, "\n") {
		// 04:46:54 | vgw | 200 | 60.515868ms | 127.0.0.1 | PUT | /bucket/key.mp4 | - | partNumber=2&uploadId=…
		f := strings.Split(line, " | ")
		if len(f) < 9 || !strings.HasSuffix(f[6], ".mp4") {
			continue
		}
		d, err := time.ParseDuration(strings.TrimSpace(f[3]))
		if err != nil {
			continue
		}
		switch q := f[8]; {
		case f[5] == "PUT" && strings.HasPrefix(q, "partNumber="):
			parts = append(parts, d)
		case f[5] == "POST" && strings.HasPrefix(q, "uploadId="):
			complete = d
		case f[5] == "PUT" && strings.TrimSpace(q) == "":
			whole = d
		}
	}
	if len(parts) == 0 && whole > 0 {
		return fmt.Sprintf("the MP4 in one PUT of %.0f ms", benchkit.MS(whole))
	}
	if len(parts) == 0 {
		return "no upload of an MP4 in its log"
	}
	var sum time.Duration
	for _, d := range parts {
		sum += d
	}
	slices.Sort(parts)
	return fmt.Sprintf("the MP4 in %d parts, each PUT p50 %.0f ms, max %.0f ms, %.1f s in all; CompleteMultipartUpload %.0f ms",
		len(parts), benchkit.MS(parts[len(parts)/2]), benchkit.MS(parts[len(parts)-1]), sum.Seconds(), benchkit.MS(complete))
}

// segmentsIn counts the media segments among objects.
func segmentsIn(objs []minio.ObjectInfo) int {
	n := 0
	for _, o := range objs {
		if isSegment(o.Key) {
			n++
		}
	}
	return n
}

func isSegment(key string) bool {
	return strings.HasSuffix(key, ".ts") || strings.HasSuffix(key, ".m4s")
}

func randomKey(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
