// Package s3server runs Versity's versitygw (an S3 gateway over a directory)
// as the S3-compatible object store of onair's object-storage tests: a real
// server in its own process on a free loopback port, with a root key pair,
// buckets as directories, and bucket policies and CORS as AWS S3 has them.
//
// Where versitygw v1.8.0 differs from AWS S3 in what onair's tests see: an
// object PUT with a streaming signature (minio-go's default over plain HTTP)
// keeps Content-Encoding: aws-chunked, which GET and HEAD then return, where
// S3 strips it (minio.PutObjectOptions.DisableContentSha256 avoids it); and an
// anonymous GET of a missing key under a public prefix is 404, where S3,
// without s3:ListBucket granted, answers 403.
package s3server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/cors"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"onair/internal/testutil/localnet"
)

// Server is a running versitygw, serving the buckets under Dir to the root
// user's keys.
type Server struct {
	Endpoint string // host:port, as S3 clients take it
	URL      string // http://host:port, for plain HTTP clients
	Dir      string // the posix root: each bucket is a directory under it
	// AccessKey and SecretKey are the root user's, random per server.
	AccessKey, SecretKey string
	Region               string // us-east-1, which S3 clients sign for

	bin, log string // log: versitygw's output, over all its restarts

	mu   sync.Mutex
	proc *process // nil when stopped
}

// process is one run of versitygw; done closes when it has exited.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs versitygw over a new temporary directory on a free port, waits
// until it answers S3 requests, and stops it when the test ends, logging its
// output if the test failed. It fails the test when versitygw cannot be
// built or does not start.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := localnet.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Endpoint:  addr,
		URL:       "http://" + addr,
		Dir:       t.TempDir(),
		AccessKey: randomKey(10),
		SecretKey: randomKey(20),
		Region:    "us-east-1",
		bin:       bin,
		log:       filepath.Join(t.TempDir(), "versitygw.log"),
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("versitygw's output:\n%s", s.output())
		}
	})
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	return s
}

func randomKey(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// start runs versitygw and returns once it answers a signed ListBuckets.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return errors.New("versitygw is already running")
	}
	out, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close() // versitygw has its own copy
	// Its banner and request log go to standard output, its errors to
	// standard error: both into the one log.
	cmd := exec.Command(s.bin, "--port", s.Endpoint, "--access", s.AccessKey, "--secret", s.SecretKey,
		"--region", s.Region, "posix", s.Dir)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	if err := s.waitReady(p); err != nil {
		p.stop()
		return fmt.Errorf("versitygw on %s: %w", s.Endpoint, err) // its output is logged at cleanup
	}
	s.proc = p
	return nil
}

func (s *Server) waitReady(p *process) error {
	c, err := s.client()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.ListBuckets(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited: %v", p.cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer to S3 requests: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends versitygw, at once to its clients, as an outage would. It does
// nothing when the server is stopped.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.stop()
		s.proc = nil
	}
}

func (p *process) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	grace := time.NewTimer(5 * time.Second)
	defer grace.Stop()
	select {
	case <-p.done:
	case <-grace.C:
		p.cmd.Process.Kill()
		<-p.done
	}
}

// Restart starts the server again, stopping it first if it runs, on the
// same port and directory with the same keys, so that clients find their
// buckets, objects and policies where they left them; it returns once the
// server answers.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
}

func (s *Server) output() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// Env is the environment onair reads S3 credentials from, set to the root
// user's.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_REGION=" + s.Region,
	}
}

// Client is an S3 client with the root user's keys, for a test to put,
// list and read objects behind onair's back.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := s.client()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (s *Server) client() (*minio.Client, error) {
	return minio.New(s.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Region:       s.Region,
		BucketLookup: minio.BucketLookupPath,
	})
}

// Bucket makes a bucket, or leaves it as it is if it exists.
func (s *Server) Bucket(t testing.TB, name string) {
	t.Helper()
	err := s.Client(t).MakeBucket(t.Context(), name, minio.MakeBucketOptions{Region: s.Region})
	if code := minio.ToErrorResponse(err).Code; code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
		return
	}
	if err != nil {
		t.Fatalf("making bucket %s: %v", name, err)
	}
}

// PublicRead lets anyone GET the bucket's objects whose keys start with
// prefix, with no credentials, and lets pages of any origin read them: what
// a CDN or a browser player needs of a live output in S3 or MediaStore. It
// is a bucket policy (s3:GetObject to Principal "*") and a bucket CORS
// configuration (GET and HEAD from origin "*"), as on AWS S3.
func (s *Server) PublicRead(t testing.TB, bucket, prefix string) {
	t.Helper()
	c := s.Client(t)
	policy, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect":    "Allow",
			"Principal": "*",
			"Action":    []string{"s3:GetObject"},
			"Resource":  []string{"arn:aws:s3:::" + bucket + "/" + prefix + "*"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetBucketPolicy(t.Context(), bucket, string(policy)); err != nil {
		t.Fatalf("bucket %s: setting a public-read policy: %v", bucket, err)
	}
	rules := cors.NewConfig([]cors.Rule{{
		AllowedOrigin: []string{"*"},
		AllowedMethod: []string{"GET", "HEAD"},
		AllowedHeader: []string{"*"}, // a player's Range, for one
		ExposeHeader:  []string{"ETag", "Content-Length", "Content-Range"},
		MaxAgeSeconds: 3600,
	}})
	if err := c.SetBucketCors(t.Context(), bucket, rules); err != nil {
		t.Fatalf("bucket %s: setting CORS: %v", bucket, err)
	}
}
